// Python.h must come first (it sets feature macros); the include dir comes from Package.swift.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
