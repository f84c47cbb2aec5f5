"""The command lines: every study's command (``commands``) and the option types and groups they share
(``arguments``). Imports no TensorFlow."""
