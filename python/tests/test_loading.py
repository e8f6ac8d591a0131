"""Loading libenas.so: the search order, the ABI check, the environment set at import, the runtime functions."""

import os
import shutil
import subprocess
import threading

import enas
from enas import _ffi
from conftest import run_python


def test_abi_and_version():
    assert enas.abi_version() == enas.ABI_VERSION == 3
    assert enas.version() and enas.version()[0].isdigit()
    assert os.path.isfile(enas.library_path())


def test_library_path_follows_environment():
    override = os.environ.get("ENAS_LIBRARY_PATH")
    if override:
        assert enas.library_path() == override


def _copy_package(destination):
    shutil.copytree(os.path.dirname(enas.__file__), destination, ignore=shutil.ignore_patterns("__pycache__", "*.so"))


def test_library_beside_the_package_is_found(tmp_path):
    _copy_package(tmp_path / "enas")
    shutil.copy(enas.library_path(), tmp_path / "enas" / "libenas.so")
    result = run_python("import enas; print(enas.library_path())", ENAS_LIBRARY_PATH=None, PYTHONPATH=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "enas" / "libenas.so")


def test_repository_build_is_found(tmp_path):
    _copy_package(tmp_path / "python" / "enas")
    (tmp_path / ".build" / "release").mkdir(parents=True)
    shutil.copy(enas.library_path(), tmp_path / ".build" / "release" / "libenas.so")
    result = run_python("import enas; print(enas.library_path())", ENAS_LIBRARY_PATH=None,
                        PYTHONPATH=str(tmp_path / "python"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / ".build" / "release" / "libenas.so")


def test_missing_library_is_a_clear_import_error(tmp_path):
    missing = str(tmp_path / "nowhere" / "libenas.so")
    result = run_python("import enas", ENAS_LIBRARY_PATH=missing)
    assert result.returncode != 0
    assert "ImportError" in result.stderr and missing in result.stderr and "no such file" in result.stderr


def test_library_of_another_build_is_a_clear_import_error(tmp_path):
    # A stand-in for an older libenas.so: it has enas_abi_version and nothing else.
    source = tmp_path / "old.c"
    source.write_text("int enas_abi_version(void) { return 2; }\n")
    library = tmp_path / "libenas.so"
    subprocess.run(["cc", "-shared", "-fPIC", str(source), "-o", str(library)], check=True)
    result = run_python("import enas", ENAS_LIBRARY_PATH=str(library))
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "ABI version 2" in result.stderr and "expects ABI version 3" in result.stderr


def test_openblas_threads_default_and_user_setting():
    code = "import enas, os; print(os.environ['OPENBLAS_NUM_THREADS'])"
    assert run_python(code, OPENBLAS_NUM_THREADS=None).stdout.strip() == "1"
    assert run_python(code, OPENBLAS_NUM_THREADS="3").stdout.strip() == "3"


def test_numpy_loads_after_the_environment_is_set():
    # enas imports numpy itself; the variable must be in place before that first import.
    code = "import sys; import enas; assert 'numpy' in sys.modules; import os; print(os.environ['OPENBLAS_NUM_THREADS'])"
    result = run_python(code, OPENBLAS_NUM_THREADS=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


def test_thread_count_round_trip():
    original = enas.get_num_threads()
    try:
        enas.set_num_threads(1)
        assert enas.get_num_threads() == 1
        enas.set_num_threads(2)
        assert enas.get_num_threads() == 2
    finally:
        enas.set_num_threads(original)


def test_status_strings():
    for status in enas.Status:
        assert _ffi.enas_status_string(status).decode().startswith("ENAS_")
    assert _ffi.enas_status_string(12345) == b"unknown status"


def test_last_error_is_per_thread():
    assert _ffi.enas_set_num_threads(0) == enas.Status.INVALID_ARGUMENT
    assert b"enas_set_num_threads" in _ffi.enas_last_error()
    seen = []
    worker = threading.Thread(target=lambda: seen.append(_ffi.enas_last_error()))
    worker.start()
    worker.join()
    assert seen == [b""]
    assert b"enas_set_num_threads" in _ffi.enas_last_error()
