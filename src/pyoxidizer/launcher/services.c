/*
 * The launcher's builtin module _pyoxidizer: what the runtime (runtime/importer.py) needs
 * from C, so that importing never imports a Python module: lookups in the index, verified
 * and decompressed reads of blobs, code objects, and (objects.c) shared objects in memfds.
 */
#include "launcher.h"

#include <marshal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A damaged blob: fatal with one line while Python starts (CPython would otherwise turn
 * the failed import of encodings into a multi-line "Fatal Python error" and abort), an
 * ImportError naming the entry afterwards. */
PyObject *pyox_corrupt(uint32_t number, const char *what, const char *problem) {
    const char *name = (const char *)pyox.names + pyox.name_at[number];
    int n = (int)(pyox.name_at[number + 1] - pyox.name_at[number]);
    if (pyox.starting) {
        pyox_fail("embedded payload is corrupt (%s of '%.*s' %s)", what, n, name, problem);
        fflush(stdout);
        _exit(1);
    }
    PyObject *text = PyUnicode_DecodeUTF8(name, n, "replace");
    if (text) {
        PyErr_Format(PyExc_ImportError, "embedded payload is corrupt (%s of '%U' %s)", what, text,
                     problem);
        Py_DECREF(text);
    }
    return NULL;
}

int pyox_record_arg(PyObject *arg, uint32_t *number) {
    long i = PyLong_AsLong(arg);
    if (i == -1 && PyErr_Occurred()) return -1;
    if (i < 0 || (unsigned long)i >= pyox.entry_count) {
        PyErr_Format(PyExc_IndexError, "no payload record %ld", i);
        return -1;
    }
    *number = (uint32_t)i;
    return 0;
}

/* Raise for a blob that could not be read: OSError, MemoryError or the corruption. */
PyObject *pyox_read_failed(pyox_read r, uint32_t number, const char *what) {
    if (r == PYOX_READ_IO) return PyErr_SetFromErrno(PyExc_OSError);
    if (r == PYOX_READ_NOMEM) return PyErr_NoMemory();
    return pyox_corrupt(number, what, "fails its checksum");
}

/* A compressed blob, verified and decompressed into a new bytes object. */
static PyObject *pyox_frame_bytes(uint32_t number, int part, const pyox_blob *b) {
    const char *what = part ? "the source" : "the data";
    unsigned char *frame = NULL;
    pyox_read r;
    Py_BEGIN_ALLOW_THREADS
    r = pyox_blob_copy(b, &frame);
    Py_END_ALLOW_THREADS
    if (r != PYOX_READ_OK) return pyox_read_failed(r, number, what);
    size_t size = 0;
    const ZSTD_DDict *ddict = NULL;
    PyObject *out = NULL;
    if (pyox_frame_size(frame, b->length, &size) != 0) {
        pyox_corrupt(number, what, "is not a zstd frame of a known size");
    } else if (pyox_frame_dictionary(frame, b->length, &ddict) != 0) {
        pyox_corrupt(number, what, "needs a zstd dictionary that is missing or damaged");
    } else if (!pyox_dctx && !(pyox_dctx = ZSTD_createDCtx())) {
        PyErr_NoMemory();
    } else if ((out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size)) != NULL &&
               pyox_decompress(pyox_dctx, PyBytes_AS_STRING(out), size, frame, b->length,
                               ddict) != 0) {
        Py_CLEAR(out);
        pyox_corrupt(number, what, "cannot be decompressed");
    }
    free(frame);
    return out;
}

/* Verified (and decompressed) bytes of a record's blob as a new bytes object, or NULL
 * with an exception. */
static PyObject *pyox_blob_bytes(uint32_t number, int part) {
    pyox_blob b;
    pyox_record_blob(number, part, &b);
    if (pyox_compressed(number, part)) return pyox_frame_bytes(number, part, &b);
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)b.length);
    if (!out) return NULL;
    unsigned char *buf = (unsigned char *)PyBytes_AS_STRING(out);
    int io_failed, corrupt;
    Py_BEGIN_ALLOW_THREADS
    io_failed = pyox_pread_all(buf, b.length, b.offset) != 0;
    corrupt = !io_failed && pyox_crc32(buf, b.length) != b.crc;
    Py_END_ALLOW_THREADS
    if (io_failed) {
        Py_DECREF(out);
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    if (corrupt) {
        Py_DECREF(out);
        return pyox_corrupt(number, part ? "the source" : "the data", "fails its checksum");
    }
    return out;
}

/* find(kind, name) -> record number, or -1 */
static PyObject *pyox_mod_find(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "find(kind: int, name: str)");
        return NULL;
    }
    long kind = PyLong_AsLong(args[0]);
    if (kind == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t n;
    const char *name = PyUnicode_AsUTF8AndSize(args[1], &n);
    if (!name) {
        PyErr_Clear(); /* a name that is not UTF-8 (lone surrogates) is in no payload */
        return PyLong_FromLong(-1);
    }
    return PyLong_FromLong(pyox_find((unsigned)kind, name, (size_t)n));
}

/* read(number, part) -> verified bytes of a record's data (part 0) or source (part 1) */
static PyObject *pyox_mod_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    uint32_t number;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "read(number: int, part: int)");
        return NULL;
    }
    if (pyox_record_arg(args[0], &number) < 0) return NULL;
    long part = PyLong_AsLong(args[1]);
    if (part == -1 && PyErr_Occurred()) return NULL;
    return pyox_blob_bytes(number, part != 0);
}

/* code(number) -> the code object of a module record, read, verified and unmarshalled */
static PyObject *pyox_mod_code(PyObject *self, PyObject *arg) {
    (void)self;
    uint32_t number;
    if (pyox_record_arg(arg, &number) < 0) return NULL;
    PyObject *data = pyox_blob_bytes(number, 0);
    if (!data) return NULL;
    PyObject *code =
        PyMarshal_ReadObjectFromString(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data));
    Py_DECREF(data);
    if (code && !PyCode_Check(code)) {
        Py_DECREF(code);
        return pyox_corrupt(number, "the bytecode", "is not a code object");
    }
    return code;
}

/* main_code() -> eval mode's code object, compiled at build time, or None */
static PyObject *pyox_mod_main_code(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    if (pyox.main_code.length == 0) Py_RETURN_NONE;
    unsigned char *blob = NULL;
    pyox_read r = pyox_blob_copy(&pyox.main_code, &blob);
    if (r == PYOX_READ_IO) return PyErr_SetFromErrno(PyExc_OSError);
    if (r == PYOX_READ_NOMEM) return PyErr_NoMemory();
    if (r == PYOX_READ_CORRUPT) {
        return PyErr_Format(PyExc_ImportError,
                            "embedded payload is corrupt (the eval code fails its checksum)");
    }
    PyObject *code = PyMarshal_ReadObjectFromString((const char *)blob, pyox.main_code.length);
    free(blob);
    if (code && !PyCode_Check(code)) {
        Py_DECREF(code);
        return PyErr_Format(PyExc_ImportError,
                            "embedded payload is corrupt (the eval code is not a code object)");
    }
    return code;
}

static PyObject *pyox_mod_crc32(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) != 0) return NULL;
    uint32_t c = pyox_crc32(view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(c);
}

static PyMethodDef pyox_methods[] = {
    {"find", (PyCFunction)(void (*)(void))pyox_mod_find, METH_FASTCALL,
     "find(kind, name): the record number of an entry, or -1."},
    {"read", (PyCFunction)(void (*)(void))pyox_mod_read, METH_FASTCALL,
     "read(number, part): verified bytes of a record's data (0) or source (1)."},
    {"code", pyox_mod_code, METH_O, "code(number): the code object of a module record."},
    {"main_code", pyox_mod_main_code, METH_NOARGS, "main_code(): eval mode's code, or None."},
    {"memfd", (PyCFunction)(void (*)(void))pyox_mod_memfd, METH_FASTCALL,
     "memfd(number, name): (fd, path) of a memfd holding a record's verified data."},
    {"load_libraries", pyox_mod_load_libraries, METH_O,
     "load_libraries(paths): load shared libraries that may need each other, together."},
    {"crc32", pyox_mod_crc32, METH_O, "CRC-32 of a buffer (same value as zlib.crc32)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pyox_module_def = {
    PyModuleDef_HEAD_INIT, "_pyoxidizer", "Launcher services for the embedded runtime.", -1,
    pyox_methods, NULL, NULL, NULL, NULL,
};

PyObject *pyox_module_init(void) {
    PyObject *m = PyModule_Create(&pyox_module_def);
    if (!m) return NULL;
    PyObject *index = PyMemoryView_FromMemory((char *)pyox.index, (Py_ssize_t)pyox.index_size,
                                              PyBUF_READ);
    PyObject *exe = PyUnicode_DecodeFSDefault(pyox.exe);
    if (!index || !exe || PyModule_AddObject(m, "index", index) != 0) {
        Py_XDECREF(index);
        Py_XDECREF(exe);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddObject(m, "executable", exe) != 0) {
        Py_DECREF(exe);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddStringConstant(m, "raw_allocator", pyox.raw_allocator) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
