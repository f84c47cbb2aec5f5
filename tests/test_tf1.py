"""tf1.py: the one TensorFlow import, its release numbers and the oneDNN default it sets."""

import os

from mtneuron import tf1


def test_release_is_major_and_minor():
    assert tf1.release("1.15.5") == (1, 15)
    assert tf1.release("2.21.0rc1") == (2, 21)
    assert tf1.release() == tuple(int(part) for part in tf1.tf.version.VERSION.split(".")[:2])


def test_onednn_is_off_unless_the_user_chose():
    expected = "0" if tf1.ONEDNN_CHOSEN is None else tf1.ONEDNN_CHOSEN
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == expected


def test_v2_behaviour_is_off_in_graph_mode():
    assert not tf1.tf.executing_eagerly()
    with tf1.tf.Graph().as_default():
        assert tf1.tf.placeholder(tf1.tf.float32, (None, 3)).shape.as_list() == [None, 3]
