"""The ``tgcnn`` command line of tinygrad-cnn (installed as the package ``tinygrad_cnn_cli``).

Each command lives in its own module and only parses options, calls
:mod:`tinygrad_cnn.training` and prints: everything it does can be done from Python.

Example:
    >>> from click.testing import CliRunner
    >>> from tinygrad_cnn_cli.main import cli
    >>> CliRunner().invoke(cli, ["layers"]).exit_code
    0
"""
