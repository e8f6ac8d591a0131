// Starts CPython, makes the `enas` package importable, and hands argv to `enas._repl.main`, whose return value is
// the exit status. The C API's macros and variadic functions are not imported into Swift, hence PyRun_StringFlags
// with Py_file_input's value.
import CPython
#if canImport(Glibc)
    import Glibc
#endif

enum EmbeddedPython {
    /// `Py_file_input` (a macro in Python.h).
    static let fileInput: Int32 = 257

    /// Finds the package (installed, else the checkout's python/ above this executable), then runs the REPL.
    /// Every exception is handled here, so `PyErr_Print` (which exits on SystemExit) is never needed.
    static let bootstrap = """
        import importlib.util, os, sys, traceback
        status = 1
        try:
            if importlib.util.find_spec("enas") is None:
                directory = executable_directory
                for _ in range(8):
                    if os.path.isfile(os.path.join(directory, "python", "enas", "__init__.py")):
                        sys.path.insert(0, os.path.join(directory, "python"))
                        break
                    directory = os.path.dirname(directory)
            from enas import _repl
            status = _repl.main(sys.argv)
        except SystemExit as error:
            status = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
        except BaseException:
            traceback.print_exc()
            status = 1
        """

    /// Runs the interpreter with `arguments` as sys.argv; returns the process exit status.
    static func run(arguments: [String], executableDirectory: String) -> Int32 {
        Py_InitializeEx(1)  // 1: Python's SIGINT handler, so Ctrl-C raises KeyboardInterrupt
        let argv = PyList_New(0)
        for argument in arguments {
            let item = PyUnicode_DecodeFSDefault(argument)
            PyList_Append(argv, item)
            Py_DecRef(item)
        }
        PySys_SetObject("argv", argv)
        Py_DecRef(argv)

        let globals = PyDict_New()
        let directory = PyUnicode_DecodeFSDefault(executableDirectory)
        PyDict_SetItemString(globals, "executable_directory", directory)
        Py_DecRef(directory)

        var status: Int32 = 1
        if let result = PyRun_StringFlags(bootstrap, fileInput, globals, globals, nil) {
            Py_DecRef(result)
            if let value = PyDict_GetItemString(globals, "status") {  // borrowed
                status = Int32(truncatingIfNeeded: PyLong_AsLong(value))
            }
        }
        if PyErr_Occurred() != nil {
            PyErr_Clear()
            status = 1
        }
        Py_DecRef(globals)
        fflush(stdout)
        if Py_FinalizeEx() < 0, status == 0 { status = 120 }  // CPython's status when flushing stdout fails
        return status
    }
}
