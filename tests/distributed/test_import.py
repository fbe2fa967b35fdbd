"""Without mpi4py the core package works and ``tinygrad_cnn.distributed`` says which extra
to install, in one line."""
import subprocess
import sys

from .conftest import REPO, env

BLOCK = "import sys; sys.modules['mpi4py'] = None\n"


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK + code], env=env(), capture_output=True,
                          text=True, timeout=120)


def test_import_without_mpi4py_names_the_extra():
    r = _python("import tinygrad_cnn.distributed")
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: tinygrad_cnn.distributed needs mpi4py")
    assert "'mpi' extra" in last


def test_core_and_training_work_without_mpi4py():
    r = _python("import numpy as np\n"
                "from tinygrad_cnn import nn, optim\n"
                "from tinygrad_cnn.data import DataLoader\n"
                "from tinygrad_cnn.training import fit\n"
                "from tinygrad_cnn.nn.parallel import DistributedDataParallel\n"
                "x = np.zeros((8, 1, 2, 2), np.float32); y = np.arange(8) % 2\n"
                "m = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))\n"
                "opt = optim.SGD(m.parameters(), lr=0.1)\n"
                "print(len(fit(m, opt, DataLoader(x, y, 4), epochs=1)))\n"
                "print('mpi4py' in sys.modules and sys.modules['mpi4py'] is not None)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "False"]


def test_cli_under_mpiexec_without_mpi4py_is_one_line():
    r = subprocess.run([sys.executable, "-c", BLOCK + "from tinygrad_cnn_cli.main import main; "
                        "main(['eval', 'setup.cfg'])"], env=env({"PMI_SIZE": "2", "PMI_RANK": "0"}),
                       capture_output=True, text=True, timeout=120, cwd=REPO)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "Error: started by mpiexec with 2 processes but tinygrad_cnn.distributed needs mpi4py: "
        "install the 'mpi' extra (pip install \"tinygrad-cnn[mpi]\", or pip install mpi4py mpich)"]
