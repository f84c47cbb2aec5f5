# The two CI legs, shared by .ci/run and requirements/lock.sh (sourced, not run).
TF2_EXTRAS="cpu,test,ray,keras,jax"
TF1_EXTRAS="tf1,test,ray"
TF1_LOCK="requirements/tf1.15-py3.7.txt"

tf2_lock() {  # the TF 2.x lock file of the machine's python3
    echo "requirements/tf2-py$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])').txt"
}

python37() {  # a CPython 3.7 for the TF 1.15 leg: $MTNEURON_PYTHON37, pyenv's, or python3.7 on PATH
    local candidate
    for candidate in "${MTNEURON_PYTHON37:-}" "$(pyenv root 2>/dev/null)/versions/3.7.16/bin/python" \
                     "$(command -v python3.7 || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] \
           && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 7))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}
