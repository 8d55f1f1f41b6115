/*
 * pyoxidizer launcher: the C entry point of every built executable.
 *
 * The executable is this program (statically linked against libpython) followed by a
 * payload and a fixed-size trailer. main() runs these steps, each a small static function
 * that returns < 0 after reporting its failure; one cleanup path ends them all:
 *
 *   1. open the running executable once (/proc/self/exe: the inode that runs, whatever is
 *      at its path later), read the trailer, the index and the header blobs with pread
 *      into private memory and verify them (sizes against the file, CRC-32);
 *   2. pre-initialise CPython, install the raw allocator the payload asks for, configure
 *      CPython from the payload header and run phase-1 initialisation (only builtin and
 *      frozen modules exist at this point);
 *   3. execute the bootstrap code objects, which install the in-memory importer;
 *   4. run phase-2 initialisation (encodings, io, ... are now imported from the payload);
 *   5. hand control to the bootstrap's run(), which executes the configured run mode; it
 *      may ask for the interactive loop, which C runs;
 *   6. finalise and return the exit code.
 *
 * The payload is never mapped: every blob is read with pread into private memory, verified
 * and, for shared objects, written to a memfd that is verified before it is dlopen()ed
 * (docs/payload-format.md, "Validation"). The files:
 *
 *   launcher.c   main() and steps 2 to 6
 *   payload.c    step 1: the executable, its trailer, index and header; index lookups
 *   checksum.c   CRC-32 (PCLMULQDQ folding, or slice-by-8 tables)
 *   frames.c     blobs stored as zstd frames, and their dictionaries
 *   services.c   the _pyoxidizer builtin module, which serves the runtime
 *   objects.c    shared objects in memfds, loading libraries together
 *
 * The payload layout is defined in pyoxidizer/payload/format.py, which generates the
 * header launcher.h includes. Every symbol carries the pyox_ prefix.
 * Set PYOXIDIZER_LAUNCHER_DEBUG=1 to trace the steps on stderr, PYOXIDIZER_IMPORT_TIME=1 for
 * python's -X importtime report.
 */
#include "launcher.h"

#include <marshal.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

pyox_state pyox = {.fd = -1, .starting = 1};
int pyox_debug;

/* One error line, "<exe>: error: <message>". */
__attribute__((format(printf, 1, 2))) void pyox_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", pyox.exe[0] ? pyox.exe : "pyoxidizer-app");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The same, ending with the reason errno gives: "...: No such file or directory (errno 2)". */
__attribute__((format(printf, 1, 2))) void pyox_fail_errno(const char *fmt, ...) {
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", pyox.exe[0] ? pyox.exe : "pyoxidizer-app");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, ": %s (errno %d)\n", strerror(saved), saved);
    va_end(ap);
}

/* --- raw allocators: each one linked in is a PyMemAllocatorEx over its functions --- */
#ifdef PYOX_WITH_JEMALLOC
/* jemalloc, linked from a copy whose exported names carry the pyox_je_ prefix (see
 * launcher/allocators.py), so it never replaces the C library's malloc for the process. */
extern void *pyox_je_malloc(size_t size);
extern void *pyox_je_calloc(size_t nelem, size_t elsize);
extern void *pyox_je_realloc(void *ptr, size_t size);
extern void pyox_je_free(void *ptr);

/* Zero-byte requests get one byte, as CPython's own raw allocator does. */
static void *pyox_je_raw_malloc(void *ctx, size_t size) {
    (void)ctx;
    return pyox_je_malloc(size ? size : 1);
}

static void *pyox_je_raw_calloc(void *ctx, size_t nelem, size_t elsize) {
    (void)ctx;
    if (nelem == 0 || elsize == 0) nelem = elsize = 1;
    return pyox_je_calloc(nelem, elsize);
}

static void *pyox_je_raw_realloc(void *ctx, void *ptr, size_t size) {
    (void)ctx;
    return pyox_je_realloc(ptr, size ? size : 1);
}

static void pyox_je_raw_free(void *ctx, void *ptr) {
    (void)ctx;
    pyox_je_free(ptr);
}
#endif

/* --- step 2: CPython ------------------------------------------------------------------- */

/* Report a failed PyStatus in one line (exits as asked for an exit status). */
static int pyox_status_failed(PyStatus status, const char *what) {
    if (!PyStatus_Exception(status)) return 0;
    if (PyStatus_IsExit(status)) exit(status.exitcode);
    if (status.func) {
        pyox_fail("%s failed: %s: %s", what, status.func, status.err_msg ? status.err_msg : "");
    } else {
        pyox_fail("%s failed: %s", what, status.err_msg ? status.err_msg : "");
    }
    return -1;
}

/* Step 2a: pre-initialise CPython. It must happen before the raw allocator changes; the
 * settings are the ones Py_InitializeFromConfig would derive from the config below. */
static int pyox_preinit(void) {
    PyPreConfig preconfig;
    PyPreConfig_InitPythonConfig(&preconfig);
    preconfig.parse_argv = 0;
    preconfig.use_environment = !(pyox.config_flags & PYOX_CFG_IGNORE_ENVIRONMENT);
    return pyox_status_failed(Py_PreInitialize(&preconfig), "Python pre-initialisation");
}

/* Step 2b: install the payload's raw allocator, after pre-initialisation (which allocates
 * with the default one and frees before returning) and before anything else allocates. */
static int pyox_install_allocator(void) {
    uint32_t code = (pyox.config_flags >> PYOX_CFG_ALLOCATOR_SHIFT) & PYOX_CFG_ALLOCATOR_MASK;
    pyox.raw_allocator = "system";
    if (code == PYOX_ALLOCATOR_SYSTEM) return 0;
#ifdef PYOX_WITH_JEMALLOC
    if (code == PYOX_ALLOCATOR_JEMALLOC) {
        PyMemAllocatorEx je = {NULL, pyox_je_raw_malloc, pyox_je_raw_calloc,
                               pyox_je_raw_realloc, pyox_je_raw_free};
        PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &je);
        pyox.raw_allocator = "jemalloc";
        PYOX_TRACE("raw allocator: jemalloc");
        return 0;
    }
#endif
    if (code == PYOX_ALLOCATOR_MIMALLOC) {
        pyox_fail("the payload asks for raw_allocator 'mimalloc', which no launcher links");
    } else {
        pyox_fail("the payload asks for a raw_allocator this launcher was linked without");
    }
    return -1;
}

static PyStatus pyox_set_stdio_encoding(PyConfig *config) {
    char buf[sizeof(pyox.stdio_encoding_text)];
    memcpy(buf, pyox.stdio_encoding_text, sizeof(buf));
    if (buf[0] == '\0') return PyStatus_Ok();
    char *colon = strchr(buf, ':');
    if (colon) {
        *colon = '\0';
        PyStatus s = PyConfig_SetBytesString(config, &config->stdio_errors, colon + 1);
        if (PyStatus_Exception(s)) return s;
    }
    return PyConfig_SetBytesString(config, &config->stdio_encoding, buf);
}

/* The prefixes are the executable's directory: setting them all stops CPython's path
 * calculation from probing the filesystem for a Python installation. */
static PyStatus pyox_set_prefixes(PyConfig *config) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", pyox.exe);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    wchar_t **fields[] = {&config->home, &config->prefix, &config->exec_prefix,
                          &config->base_prefix, &config->base_exec_prefix};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        PyStatus s = PyConfig_SetBytesString(config, fields[i], dir);
        if (PyStatus_Exception(s)) return s;
    }
    return PyStatus_Ok();
}

static PyStatus pyox_configure(PyConfig *config, int argc, char **argv) {
    uint32_t f = pyox.config_flags;
    config->parse_argv = 0;
    config->use_environment = !(f & PYOX_CFG_IGNORE_ENVIRONMENT);
    config->site_import = !(f & PYOX_CFG_NO_SITE);
    config->user_site_directory = !(f & PYOX_CFG_NO_USER_SITE);
    config->write_bytecode = !(f & PYOX_CFG_DONT_WRITE_BYTECODE);
    config->buffered_stdio = !(f & PYOX_CFG_UNBUFFERED_STDIO);
    config->optimization_level = (int)pyox.optimize_level;
    config->pathconfig_warnings = 0;
    config->module_search_paths_set = 1; /* empty: the importer in the payload is the source */
    config->_init_main = 0;
    /* python -X importtime, for the app's own imports from memory (spec 9.4.4). */
    config->import_time = getenv("PYOXIDIZER_IMPORT_TIME") != NULL;
#if PY_VERSION_HEX >= 0x030B0000
    config->safe_path = 1;
#endif
    PyStatus s = PyConfig_SetBytesArgv(config, argc, argv);
    if (!PyStatus_Exception(s)) s = PyConfig_SetBytesString(config, &config->program_name, pyox.exe);
    if (!PyStatus_Exception(s)) s = PyConfig_SetBytesString(config, &config->executable, pyox.exe);
    if (!PyStatus_Exception(s)) s = pyox_set_prefixes(config);
    if (!PyStatus_Exception(s)) s = pyox_set_stdio_encoding(config);
    return s;
}

/* Step 2c: configure CPython and run phase-1 initialisation. */
static int pyox_init_phase1(int argc, char **argv) {
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    PyStatus s = pyox_configure(&config, argc, argv);
    if (!PyStatus_Exception(s)) s = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (pyox_status_failed(s, "Python initialisation")) return -1;
    PYOX_TRACE("phase-1 initialisation done");
    return 0;
}

/* --- step 3: the bootstrap --------------------------------------------------------------- */

/* Execute a code object as a new module registered in sys.modules. PyImport_ExecCodeModule
 * cannot be used: it needs importlib's external machinery, which phase 1 does not have. */
static PyObject *pyox_exec_module(const char *name, PyObject *code) {
    PyObject *mod = PyImport_AddModule(name); /* borrowed */
    if (!mod) return NULL;
    PyObject *dict = PyModule_GetDict(mod);
    if (PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) != 0) return NULL;
    PyObject *r = PyEval_EvalCode(code, dict, dict);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_INCREF(mod);
    return mod;
}

/* One (module name, marshalled code) pair of the bootstrap blob, executed. */
static PyObject *pyox_run_bootstrap_pair(PyObject *pair) {
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(pair, 0)) || !PyBytes_Check(PyTuple_GET_ITEM(pair, 1))) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the embedded bootstrap is malformed (an item is not a (name, bytes) pair)");
        return NULL;
    }
    const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(pair, 0));
    PyObject *raw = PyTuple_GET_ITEM(pair, 1);
    if (!name) return NULL;
    PyObject *code = PyMarshal_ReadObjectFromString(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw));
    if (code && !PyCode_Check(code)) {
        Py_CLEAR(code);
        PyErr_Format(PyExc_RuntimeError, "the embedded bootstrap module %s is not code", name);
    }
    PyObject *mod = code ? pyox_exec_module(name, code) : NULL;
    Py_XDECREF(code);
    if (mod) PYOX_TRACE("bootstrap module %s executed", name);
    return mod;
}

/* Step 3: run the bootstrap modules (a marshalled tuple of (name, marshalled code) pairs)
 * and call install(settings) on the last one. NULL with a Python exception set, or after
 * a one-line error when the blob cannot be read. */
static PyObject *pyox_run_bootstrap(void) {
    unsigned char *blob = NULL;
    pyox_read r = pyox_blob_copy(&pyox.bootstrap, &blob);
    if (r != PYOX_READ_OK) {
        if (r == PYOX_READ_IO) pyox_fail_errno("cannot read the bootstrap");
        if (r == PYOX_READ_NOMEM) pyox_fail("cannot allocate memory for the bootstrap");
        if (r == PYOX_READ_CORRUPT) {
            pyox_fail("embedded payload is corrupt (bootstrap checksum mismatch)");
        }
        return NULL;
    }
    PyObject *pairs = PyMarshal_ReadObjectFromString((const char *)blob, pyox.bootstrap.length);
    free(blob);
    PyObject *last = NULL, *settings = NULL, *done = NULL;
    if (!pairs) goto cleanup;
    if (!PyTuple_Check(pairs) || PyTuple_GET_SIZE(pairs) == 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the embedded bootstrap is malformed (not a tuple of modules)");
        goto cleanup;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(pairs); i++) {
        Py_XDECREF(last);
        last = pyox_run_bootstrap_pair(PyTuple_GET_ITEM(pairs, i));
        if (!last) goto cleanup;
    }
    settings = PyMarshal_ReadObjectFromString((const char *)pyox.settings_bytes,
                                              pyox.settings.length);
    if (settings) done = PyObject_CallMethod(last, "install", "O", settings);
cleanup:
    Py_XDECREF(pairs);
    Py_XDECREF(settings);
    if (!done) Py_CLEAR(last);
    Py_XDECREF(done);
    return last;
}

/* --- step 5: the run mode --------------------------------------------------------------- */

/* Drop the bootstrap's own frames from the head of a traceback, so an app's error starts
 * at the app's code as it does under python. */
static int pyox_is_bootstrap_frame(PyObject *tb) {
    PyObject *frame = PyObject_GetAttrString(tb, "tb_frame");
    PyObject *code = frame ? PyObject_GetAttrString(frame, "f_code") : NULL;
    PyObject *filename = code ? PyObject_GetAttrString(code, "co_filename") : NULL;
    const char *text = filename && PyUnicode_Check(filename) ? PyUnicode_AsUTF8(filename) : NULL;
    int result = text != NULL && strncmp(text, PYOX_BOOTSTRAP_FILENAME_PREFIX,
                                         sizeof(PYOX_BOOTSTRAP_FILENAME_PREFIX) - 1) == 0;
    Py_XDECREF(filename);
    Py_XDECREF(code);
    Py_XDECREF(frame);
    PyErr_Clear();
    return result;
}

static void pyox_trim_traceback(PyObject *exc) {
    PyObject *tb = PyException_GetTraceback(exc);
    while (tb && tb != Py_None && pyox_is_bootstrap_frame(tb)) {
        PyObject *next = PyObject_GetAttrString(tb, "tb_next");
        Py_DECREF(tb);
        tb = next;
    }
    PyErr_Clear();
    if (tb) {
        PyException_SetTraceback(exc, tb);
        Py_DECREF(tb);
    }
}

static void pyox_trim_current_exception(void) {
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *exc = PyErr_GetRaisedException();
    if (!exc) return;
    pyox_trim_traceback(exc);
    PyErr_SetRaisedException(exc);
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value) {
        if (tb) PyException_SetTraceback(value, tb);
        pyox_trim_traceback(value);
        Py_XDECREF(tb);
        tb = PyException_GetTraceback(value);
    }
    PyErr_Restore(type, value, tb);
#endif
}

/* Exit codes the way python computes them. */
static int pyox_handle_exception(void) {
    pyox_trim_current_exception();
    if (PyErr_ExceptionMatches(PyExc_SystemExit)) {
        PyErr_Print(); /* prints the message if any, finalises and exits with the code */
        return 1;
    }
    int interrupted = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
    PyErr_Print();
    return interrupted ? -SIGINT : 1;
}

/* Like python without arguments: a terminal gets the interactive loop (with readline);
 * any other stdin is read as a script, without prompts or echoed values. */
static int pyox_run_repl(void) {
    if (isatty(fileno(stdin))) {
        PyObject *readline = PyImport_ImportModule("readline");
        if (readline) {
            Py_DECREF(readline);
        } else {
            PyErr_Clear();
        }
    }
    PyCompilerFlags cf = _PyCompilerFlags_INIT;
    return PyRun_AnyFileExFlags(stdin, "<stdin>", 0, &cf) == 0 ? 0 : 1;
}

/* Step 4b: what start-up created (the interpreter's objects, the importer, the modules
 * imported so far) moves to the collector's permanent generation, as gc.freeze() does:
 * later collections, and the ones at exit, no longer traverse it. */
static int pyox_freeze_startup_objects(void) {
    if (!(pyox.config_flags & PYOX_CFG_FREEZE_STARTUP_OBJECTS)) return 0;
    PyObject *gc = PyImport_ImportModule("gc");
    PyObject *r = gc ? PyObject_CallMethod(gc, "freeze", NULL) : NULL;
    Py_XDECREF(gc);
    if (!r) return -1;
    Py_DECREF(r);
    return 0;
}

static int pyox_run(PyObject *bootstrap) {
    pyox.starting = 0; /* from here on, a damaged blob is an ImportError the app can see */
    PyObject *r = PyObject_CallMethod(bootstrap, "run", NULL);
    if (!r) return pyox_handle_exception();
    long want_repl = PyLong_AsLong(r);
    Py_DECREF(r);
    return want_repl == 1 ? pyox_run_repl() : 0;
}

int main(int argc, char **argv) {
    int exitcode = 1;
    PyObject *bootstrap = NULL;
    pyox_debug = getenv("PYOXIDIZER_LAUNCHER_DEBUG") != NULL;
    pyox_crc_init();

    /* Step 1: the payload, read and verified before Python starts. */
    if (pyox_read_payload() < 0) goto cleanup;
    if (PyImport_AppendInittab("_pyoxidizer", pyox_module_init) != 0) {
        pyox_fail("cannot register the _pyoxidizer module");
        goto cleanup;
    }
    /* Step 2: CPython, phase 1. */
    if (pyox_preinit() < 0 || pyox_install_allocator() < 0 || pyox_init_phase1(argc, argv) < 0) {
        goto cleanup;
    }
    /* Step 3: the importer. */
    bootstrap = pyox_run_bootstrap();
    if (!bootstrap) {
        if (PyErr_Occurred()) {
            PyErr_Print();
            pyox_fail("the embedded importer failed to start");
        }
        goto finalize;
    }
    /* Step 4: CPython, phase 2 (encodings, io, ... come from the payload). */
    if (pyox_status_failed(_Py_InitializeMain(), "Python initialisation (phase 2)")) {
        goto finalize;
    }
    PYOX_TRACE("phase-2 initialisation done");
    if (pyox_freeze_startup_objects() < 0) {
        PyErr_Print();
        pyox_fail("cannot freeze the start-up objects (gc.freeze)");
        goto finalize;
    }
    /* Step 5: the run mode. */
    exitcode = pyox_run(bootstrap);
    Py_CLEAR(bootstrap);

finalize: /* Step 6. */
    Py_XDECREF(bootstrap);
    if (Py_FinalizeEx() < 0 && exitcode == 0) exitcode = 120;
    if (exitcode == -SIGINT) {
        /* Like python: die of SIGINT so the parent shell sees the interruption. */
        signal(SIGINT, SIG_DFL);
        kill(getpid(), SIGINT);
        exitcode = 128 + SIGINT;
    }
cleanup:
    pyox_frames_free();
    free(pyox.settings_bytes);
    free(pyox.name_at);
    free(pyox.index);
    free(pyox.fd_loads);
    if (pyox.fd >= 0) close(pyox.fd);
    return exitcode;
}
