/*
 * pyoxidizer launcher: the C entry point of every built executable.
 *
 * The executable is this program (statically linked against libpython) followed by a
 * payload and a fixed-size trailer. At start-up the launcher:
 *
 *   1. maps its own file and validates the trailer and the payload index (CRC-32);
 *   2. pre-initialises CPython, installs the raw allocator the payload asks for, then
 *      configures CPython from the payload header and runs phase-1 initialisation
 *      (only builtin and frozen modules exist at this point);
 *   3. executes the bootstrap code objects from the payload, which install the in-memory
 *      importer on sys.meta_path;
 *   4. runs phase-2 initialisation (encodings, io, ... are now imported from memory);
 *   5. hands control to the bootstrap's run(), which executes the configured run mode;
 *      it may ask for the interactive loop, which C runs;
 *   6. finalises and returns the exit code.
 *
 * The payload layout is defined in pyoxidizer/payload/format.py, which generates the
 * header included below. Every symbol here carries the pyox_ prefix.
 * Set PYOXIDIZER_LAUNCHER_DEBUG=1 to trace the steps on stderr.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The payload layout, generated from payload/format.py for each build of the launcher:
 * magic strings, sizes, field offsets (PYOX_<LAYOUT>_<FIELD>_AT), flags and codes. */
#include "pyoxidizer_format.h"

typedef struct {
    uint32_t offset, length, crc;
} pyox_blob;

typedef struct {
    char exe[PATH_MAX];
    const unsigned char *map; /* whole file, read-only */
    size_t map_size;
    const unsigned char *payload;
    uint64_t payload_size;
    uint64_t index_size;
    uint32_t config_flags;
    uint32_t optimize_level;
    pyox_blob runtime_config, bootstrap, stdio_encoding;
    const char *raw_allocator; /* name of the allocator installed for PYMEM_DOMAIN_RAW */
} pyox_state;

static pyox_state pyox;
static int pyox_debug;

#define PYOX_TRACE(...)                                   \
    do {                                                  \
        if (pyox_debug) {                                 \
            fprintf(stderr, "pyoxidizer-launcher: ");     \
            fprintf(stderr, __VA_ARGS__);                 \
            fputc('\n', stderr);                          \
        }                                                 \
    } while (0)

/* --- CRC-32 (zlib polynomial), so Python's zlib.crc32 computes the same values --- */
static uint32_t pyox_crc_table[8][256];

static void pyox_crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        pyox_crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) {
            uint32_t prev = pyox_crc_table[t - 1][i];
            pyox_crc_table[t][i] = pyox_crc_table[0][prev & 0xFF] ^ (prev >> 8);
        }
    }
}

static uint32_t pyox_crc32(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = pyox_crc_table[7][lo & 0xFF] ^ pyox_crc_table[6][(lo >> 8) & 0xFF] ^
            pyox_crc_table[5][(lo >> 16) & 0xFF] ^ pyox_crc_table[4][lo >> 24] ^
            pyox_crc_table[3][hi & 0xFF] ^ pyox_crc_table[2][(hi >> 8) & 0xFF] ^
            pyox_crc_table[1][(hi >> 16) & 0xFF] ^ pyox_crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = pyox_crc_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t pyox_u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t pyox_u64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void pyox_fail(const char *what) {
    fprintf(stderr, "%s: error: %s\n", pyox.exe[0] ? pyox.exe : "pyoxidizer-app", what);
}

/* Step 1a: the path of the running executable: /proc/self/exe or, where /proc is not
 * mounted (an empty chroot, a minimal container), the path execve() was given (AT_EXECFN),
 * made absolute. */
static int pyox_find_self(void) {
    ssize_t n = readlink("/proc/self/exe", pyox.exe, sizeof(pyox.exe) - 1);
    if (n > 0) {
        pyox.exe[n] = '\0';
        return 0;
    }
    const char *fn = (const char *)getauxval(AT_EXECFN);
    if (fn == NULL || fn[0] == '\0') return -1;
    size_t used = 0;
    if (fn[0] != '/') {
        if (getcwd(pyox.exe, sizeof(pyox.exe)) == NULL) return -1;
        used = strlen(pyox.exe);
        pyox.exe[used++] = '/';
    }
    if (used + strlen(fn) >= sizeof(pyox.exe)) return -1;
    strcpy(pyox.exe + used, fn);
    PYOX_TRACE("no /proc/self/exe; running %s (AT_EXECFN)", pyox.exe);
    return 0;
}

/* Step 1b: map our own file, validate the trailer and the index checksum. */
static int pyox_map_self(void) {
    if (pyox_find_self() < 0) {
        pyox.exe[0] = '\0';
        pyox_fail("cannot find the running executable (/proc/self/exe, AT_EXECFN)");
        return -1;
    }
    int fd = open(pyox.exe, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        pyox_fail("cannot open the executable to read its payload");
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < PYOX_TRAILER_SIZE) {
        close(fd);
        pyox_fail("embedded payload is missing or truncated");
        return -1;
    }
    pyox.map_size = (size_t)st.st_size;
    void *map = mmap(NULL, pyox.map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        pyox_fail("cannot map the executable");
        return -1;
    }
    pyox.map = map;
    PYOX_TRACE("mapped %s (%zu bytes)", pyox.exe, pyox.map_size);
    return 0;
}

static int pyox_blob_in_range(const pyox_blob *b) {
    return (uint64_t)b->offset + b->length <= pyox.payload_size;
}

static int pyox_read_trailer(void) {
    const unsigned char *t = pyox.map + pyox.map_size - PYOX_TRAILER_SIZE;
    if (memcmp(t, PYOX_TRAILER_MAGIC, sizeof(PYOX_TRAILER_MAGIC) - 1) != 0) {
        pyox_fail("embedded payload is missing or truncated (no payload trailer)");
        return -1;
    }
    if (pyox_u32(t + PYOX_TRAILER_VERSION_AT) != PYOX_FORMAT_VERSION) {
        pyox_fail("embedded payload has an unsupported format version");
        return -1;
    }
    uint32_t index_crc = pyox_u32(t + PYOX_TRAILER_INDEX_CRC_AT);
    uint64_t offset = pyox_u64(t + PYOX_TRAILER_PAYLOAD_OFFSET_AT);
    pyox.payload_size = pyox_u64(t + PYOX_TRAILER_PAYLOAD_SIZE_AT);
    pyox.index_size = pyox_u64(t + PYOX_TRAILER_INDEX_SIZE_AT);
    if (offset + pyox.payload_size != pyox.map_size - PYOX_TRAILER_SIZE ||
        pyox.index_size < PYOX_HEADER_SIZE || pyox.index_size > pyox.payload_size) {
        pyox_fail("embedded payload is truncated or corrupt (sizes do not match the file)");
        return -1;
    }
    pyox.payload = pyox.map + offset;
    if (pyox_crc32(pyox.payload, pyox.index_size) != index_crc) {
        pyox_fail("embedded payload is corrupt (index checksum mismatch)");
        return -1;
    }
    return 0;
}

/* A blob reference is three u32 fields (offset, length, crc), in this order. */
static void pyox_read_blob(const unsigned char *p, pyox_blob *b) {
    b->offset = pyox_u32(p);
    b->length = pyox_u32(p + 4);
    b->crc = pyox_u32(p + 8);
}

/* Step 1b: decode the fixed header. */
static int pyox_read_header(void) {
    const unsigned char *h = pyox.payload;
    if (memcmp(h, PYOX_PAYLOAD_MAGIC, sizeof(PYOX_PAYLOAD_MAGIC) - 1) != 0 ||
        pyox_u32(h + PYOX_HEADER_VERSION_AT) != PYOX_FORMAT_VERSION) {
        pyox_fail("embedded payload header is invalid");
        return -1;
    }
    pyox.config_flags = pyox_u32(h + PYOX_HEADER_CONFIG_FLAGS_AT);
    pyox.optimize_level = pyox_u32(h + PYOX_HEADER_OPTIMIZE_LEVEL_AT);
    pyox_read_blob(h + PYOX_HEADER_SETTINGS_OFFSET_AT, &pyox.runtime_config);
    pyox_read_blob(h + PYOX_HEADER_BOOTSTRAP_OFFSET_AT, &pyox.bootstrap);
    pyox_read_blob(h + PYOX_HEADER_STDIO_ENCODING_OFFSET_AT, &pyox.stdio_encoding);
    if (!pyox_blob_in_range(&pyox.runtime_config) || !pyox_blob_in_range(&pyox.bootstrap) ||
        !pyox_blob_in_range(&pyox.stdio_encoding)) {
        pyox_fail("embedded payload header points outside the payload");
        return -1;
    }
    return 0;
}

static int pyox_blob_valid(const pyox_blob *b) {
    return pyox_crc32(pyox.payload + b->offset, b->length) == b->crc;
}

/* --- the _pyoxidizer builtin module: what the runtime needs from C --- */
static PyObject *pyox_mod_crc32(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) != 0) return NULL;
    uint32_t c = pyox_crc32(view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(c);
}

static PyMethodDef pyox_methods[] = {
    {"crc32", pyox_mod_crc32, METH_O, "CRC-32 of a buffer (same value as zlib.crc32)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pyox_module_def = {
    PyModuleDef_HEAD_INIT, "_pyoxidizer", "Launcher services for the embedded runtime.", -1,
    pyox_methods, NULL, NULL, NULL, NULL,
};

static PyObject *pyox_module_init(void) {
    PyObject *m = PyModule_Create(&pyox_module_def);
    if (!m) return NULL;
    PyObject *view = PyMemoryView_FromMemory((char *)pyox.payload, (Py_ssize_t)pyox.payload_size,
                                             PyBUF_READ);
    PyObject *exe = PyUnicode_DecodeFSDefault(pyox.exe);
    if (!view || !exe || PyModule_AddObject(m, "payload", view) != 0 ||
        PyModule_AddObject(m, "executable", exe) != 0) {
        Py_XDECREF(view);
        Py_XDECREF(exe);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddStringConstant(m, "raw_allocator", pyox.raw_allocator) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

/* --- raw allocators: each one linked in is a PyMemAllocatorEx over its functions --- */
#ifdef PYOX_WITH_JEMALLOC
/* jemalloc, linked from a copy whose exported names carry the pyox_je_ prefix (see
 * launcher/build.py), so it never replaces the C library's malloc for the process. */
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

/* Step 2a: pre-initialise CPython. It must happen before the raw allocator changes; the
 * settings are the ones Py_InitializeFromConfig would derive from the config below. */
static int pyox_preinit(void) {
    PyPreConfig preconfig;
    PyPreConfig_InitPythonConfig(&preconfig);
    preconfig.parse_argv = 0;
    preconfig.use_environment = !(pyox.config_flags & PYOX_CFG_IGNORE_ENVIRONMENT);
    PyStatus s = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(s)) Py_ExitStatusException(s);
    return 0;
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
    pyox_fail(code == PYOX_ALLOCATOR_MIMALLOC
                  ? "the payload asks for raw_allocator 'mimalloc', which no launcher links"
                  : "the payload asks for a raw_allocator this launcher was linked without");
    return -1;
}

/* Step 2c: configure CPython and run phase-1 initialisation. */
static int pyox_status_failed(PyStatus status, PyConfig *config) {
    if (!PyStatus_Exception(status)) return 0;
    PyConfig_Clear(config);
    if (PyStatus_IsExit(status)) exit(status.exitcode);
    Py_ExitStatusException(status);
    return -1; /* not reached */
}

static PyStatus pyox_set_stdio_encoding(PyConfig *config) {
    char buf[256];
    uint32_t n = pyox.stdio_encoding.length;
    if (n == 0) return PyStatus_Ok();
    if (n >= sizeof(buf)) return PyStatus_Error("stdio_encoding is too long");
    memcpy(buf, pyox.payload + pyox.stdio_encoding.offset, n);
    buf[n] = '\0';
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

static int pyox_init_phase1(int argc, char **argv) {
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    uint32_t f = pyox.config_flags;
    config.parse_argv = 0;
    config.use_environment = !(f & PYOX_CFG_IGNORE_ENVIRONMENT);
    config.site_import = !(f & PYOX_CFG_NO_SITE);
    config.user_site_directory = !(f & PYOX_CFG_NO_USER_SITE);
    config.write_bytecode = !(f & PYOX_CFG_DONT_WRITE_BYTECODE);
    config.buffered_stdio = !(f & PYOX_CFG_UNBUFFERED_STDIO);
    config.optimization_level = (int)pyox.optimize_level;
    config.pathconfig_warnings = 0;
    config.module_search_paths_set = 1; /* empty: the importer in the payload is the source */
    config._init_main = 0;
#if PY_VERSION_HEX >= 0x030B0000
    config.safe_path = 1;
#endif
    PyStatus s = PyConfig_SetBytesArgv(&config, argc, argv);
    if (pyox_status_failed(s, &config)) return -1;
    s = PyConfig_SetBytesString(&config, &config.program_name, pyox.exe);
    if (pyox_status_failed(s, &config)) return -1;
    s = PyConfig_SetBytesString(&config, &config.executable, pyox.exe);
    if (pyox_status_failed(s, &config)) return -1;
    s = pyox_set_prefixes(&config);
    if (pyox_status_failed(s, &config)) return -1;
    s = pyox_set_stdio_encoding(&config);
    if (pyox_status_failed(s, &config)) return -1;
    s = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(s)) Py_ExitStatusException(s);
    PYOX_TRACE("phase-1 initialisation done");
    return 0;
}

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

/* Step 3: run the bootstrap modules: a marshalled tuple of (name, marshalled code) pairs. */
static PyObject *pyox_run_bootstrap(void) {
    if (!pyox_blob_valid(&pyox.bootstrap)) {
        pyox_fail("embedded payload is corrupt (bootstrap checksum mismatch)");
        return NULL;
    }
    PyObject *pairs = PyMarshal_ReadObjectFromString(
        (const char *)pyox.payload + pyox.bootstrap.offset, pyox.bootstrap.length);
    if (!pairs) return NULL;
    PyObject *last = NULL;
    for (Py_ssize_t i = 0; pairs && PyTuple_Check(pairs) && i < PyTuple_GET_SIZE(pairs); i++) {
        PyObject *pair = PyTuple_GET_ITEM(pairs, i);
        const char *name = PyUnicode_AsUTF8(PyTuple_GetItem(pair, 0));
        PyObject *raw = PyTuple_GetItem(pair, 1);
        PyObject *code = raw && PyBytes_Check(raw)
                             ? PyMarshal_ReadObjectFromString(PyBytes_AS_STRING(raw),
                                                              PyBytes_GET_SIZE(raw))
                             : NULL;
        PyObject *mod = name && code ? pyox_exec_module(name, code) : NULL;
        Py_XDECREF(code);
        Py_XDECREF(last);
        last = mod;
        if (!mod) break;
        PYOX_TRACE("bootstrap module %s executed", name);
    }
    Py_DECREF(pairs);
    if (!last) return NULL;
    PyObject *config = PyMarshal_ReadObjectFromString(
        (const char *)pyox.payload + pyox.runtime_config.offset, pyox.runtime_config.length);
    PyObject *r = config ? PyObject_CallMethod(last, "install", "O", config) : NULL;
    Py_XDECREF(config);
    if (!r) {
        Py_DECREF(last);
        return NULL;
    }
    Py_DECREF(r);
    return last;
}

/* Step 5 helpers: drop the bootstrap's own frames from the head of a traceback, so an
 * app's error starts at the app's code as it does under python. */
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

static int pyox_run(PyObject *bootstrap) {
    PyObject *r = PyObject_CallMethod(bootstrap, "run", NULL);
    if (!r) return pyox_handle_exception();
    long want_repl = PyLong_AsLong(r);
    Py_DECREF(r);
    return want_repl == 1 ? pyox_run_repl() : 0;
}

int main(int argc, char **argv) {
    pyox_debug = getenv("PYOXIDIZER_LAUNCHER_DEBUG") != NULL;
    pyox_crc_init();
    if (pyox_map_self() < 0 || pyox_read_trailer() < 0 || pyox_read_header() < 0) return 1;
    if (!pyox_blob_valid(&pyox.runtime_config) || !pyox_blob_valid(&pyox.stdio_encoding)) {
        pyox_fail("embedded payload is corrupt (config checksum mismatch)");
        return 1;
    }
    if (PyImport_AppendInittab("_pyoxidizer", pyox_module_init) != 0) {
        pyox_fail("cannot register the _pyoxidizer module");
        return 1;
    }
    if (pyox_preinit() < 0 || pyox_install_allocator() < 0) return 1;
    if (pyox_init_phase1(argc, argv) < 0) return 1;

    int exitcode = 1;
    PyObject *bootstrap = pyox_run_bootstrap();
    if (!bootstrap) {
        PyErr_Print();
        fprintf(stderr, "%s: error: the embedded importer failed to start\n", pyox.exe);
        return 1;
    }
    PyStatus s = _Py_InitializeMain();
    if (PyStatus_Exception(s)) {
        Py_DECREF(bootstrap);
        Py_ExitStatusException(s);
    }
    PYOX_TRACE("phase-2 initialisation done");
    exitcode = pyox_run(bootstrap);
    Py_DECREF(bootstrap);
    if (Py_FinalizeEx() < 0 && exitcode == 0) exitcode = 120;
    if (exitcode == -SIGINT) {
        /* Like python: die of SIGINT so the parent shell sees the interruption. */
        signal(SIGINT, SIG_DFL);
        kill(getpid(), SIGINT);
        exitcode = 128 + SIGINT;
    }
    return exitcode;
}
