/*
 * Shared objects from memory: an extension module or library is copied (or decompressed)
 * into a sealed memfd and verified there before dlopen(); libraries that an extension
 * module needs are loaded together, through a generated object that only names them.
 */
#include "launcher.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* memfd_create(2) flags and fcntl(2) seals, for C libraries whose headers predate them. */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

/* A path that names descriptor fd and no object loaded before. The dynamic loader
 * recognises a loaded object by the path it was opened with, and a closed descriptor's
 * number comes back: the n-th object loaded through descriptor 7 is "/proc/self/fd/7",
 * "/proc/self/fd/./7", "/proc/self/fd/././7", ... Called with the GIL held. */
static int pyox_unique_fd_path(int fd, char *buf, size_t size) {
    if (fd < 0) return -1;
    if ((size_t)fd >= pyox.fd_loads_size) {
        size_t grown_size = (size_t)fd + 64;
        uint16_t *grown = realloc(pyox.fd_loads, grown_size * sizeof(uint16_t));
        if (!grown) return -1;
        memset(grown + pyox.fd_loads_size, 0,
               (grown_size - pyox.fd_loads_size) * sizeof(uint16_t));
        pyox.fd_loads = grown;
        pyox.fd_loads_size = grown_size;
    }
    unsigned uses = pyox.fd_loads[fd];
    size_t at = (size_t)snprintf(buf, size, "/proc/self/fd/");
    for (unsigned i = 0; i < uses && at + 2 < size; i++, at += 2) memcpy(buf + at, "./", 2);
    int n = snprintf(buf + at, size - at, "%d", fd);
    if (n < 0 || at + (size_t)n >= size || uses == UINT16_MAX) return -1;
    pyox.fd_loads[fd]++;
    return 0;
}

static PyObject *pyox_fd_path(int fd) {
    char path[512];
    if (pyox_unique_fd_path(fd, path, sizeof(path)) != 0) {
        return PyErr_Format(PyExc_ImportError, "descriptor %d named too many objects", fd);
    }
    return PyUnicode_FromString(path);
}

/* Copy a record's data into memfd fd, verifying the checksum of exactly what was written.
 * 0; -1 with errno for a failed system call; -2 when the bytes fail their checksum. */
static int pyox_fill_memfd(int fd, const pyox_blob *b) {
    enum { CHUNK = 1 << 18 };
    unsigned char *buf = malloc(CHUNK);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    uint32_t state = 0xFFFFFFFFu;
    int result = 0;
    for (uint32_t done = 0; done < b->length && result == 0;) {
        size_t n = b->length - done < CHUNK ? b->length - done : CHUNK;
        if (pyox_pread_all(buf, n, (uint64_t)b->offset + done) != 0) {
            result = -1;
            break;
        }
        state = pyox_crc_update(state, buf, n);
        for (size_t written = 0; written < n;) {
            ssize_t w = write(fd, buf + written, n - written);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                if (w == 0) errno = EIO;
                result = -1;
                break;
            }
            written += (size_t)w;
        }
        done += (uint32_t)n;
    }
    free(buf);
    if (result == 0 && ~state != b->crc) result = -2;
    return result;
}

/* Decompress a verified frame straight into memfd fd, sized first: no copy in between.
 * 0, or -1 with errno (ENOMEM, or EIO when the frame does not decompress to its size). */
static int pyox_fill_memfd_from_frame(int fd, const unsigned char *frame, size_t n, size_t size,
                                      const ZSTD_DDict *ddict) {
    if (ftruncate(fd, (off_t)size) != 0) return -1;
    if (size == 0) return 0;
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) return -1;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    int result = dctx ? pyox_decompress(dctx, map, size, frame, n, ddict) : -1;
    int saved = dctx ? EIO : ENOMEM;
    ZSTD_freeDCtx(dctx);
    munmap(map, size);
    errno = saved;
    return result;
}

/* Nothing may change the object between its check and dlopen(). Kernels without sealing
 * still load it. */
static void pyox_seal(int fd) {
    (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}

/* The (fd, path) pair memfd() returns, or NULL (closing fd) with an exception. */
static PyObject *pyox_memfd_result(int fd) {
    PyObject *path = pyox_fd_path(fd);
    PyObject *pair = path ? Py_BuildValue("(iN)", fd, path) : NULL;
    if (!pair) close(fd);
    return pair;
}

static PyObject *pyox_memfd_failed(const char *name, const char *step, int saved) {
    return PyErr_Format(PyExc_ImportError, "cannot load '%s' from memory: %s failed: %s (errno %d)",
                        name, step, strerror(saved), saved);
}

/* A memfd holding a shared object stored compressed: the frame is read and verified, then
 * decompressed into the memfd. */
static PyObject *pyox_memfd_from_frame(uint32_t number, const char *name, const pyox_blob *b) {
    unsigned char *frame = NULL;
    pyox_read r;
    Py_BEGIN_ALLOW_THREADS
    r = pyox_blob_copy(b, &frame);
    Py_END_ALLOW_THREADS
    if (r != PYOX_READ_OK) {
        if (r == PYOX_READ_IO) return pyox_memfd_failed(name, "reading it", errno);
        return pyox_read_failed(r, number, "the shared object");
    }
    size_t size = 0;
    const ZSTD_DDict *ddict = NULL;
    if (pyox_frame_size(frame, b->length, &size) != 0) {
        free(frame);
        return pyox_corrupt(number, "the shared object", "is not a zstd frame of a known size");
    }
    if (pyox_frame_dictionary(frame, b->length, &ddict) != 0) {
        free(frame);
        return pyox_corrupt(number, "the shared object", "needs a zstd dictionary that is missing");
    }
    int fd, result = -1, saved = 0;
    const char *step = "memfd_create";
    Py_BEGIN_ALLOW_THREADS
    fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0) {
        step = "decompressing it into memory";
        result = pyox_fill_memfd_from_frame(fd, frame, b->length, size, ddict);
        if (result == 0) pyox_seal(fd);
    }
    saved = errno;
    if (fd >= 0 && result != 0) close(fd);
    Py_END_ALLOW_THREADS
    free(frame);
    if (fd < 0 || (result != 0 && saved != EIO)) return pyox_memfd_failed(name, step, saved);
    if (result != 0) return pyox_corrupt(number, "the shared object", "cannot be decompressed");
    return pyox_memfd_result(fd);
}

/* memfd(number, name) -> (fd, path): an anonymous in-memory file holding the verified data
 * of a shared-object record, sealed against changes, and a path for dlopen(). The caller
 * closes fd once the object is loaded. Any failure is an ImportError naming `name`. */
PyObject *pyox_mod_memfd(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    uint32_t number;
    if (nargs != 2 || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "memfd(number: int, name: str)");
        return NULL;
    }
    if (pyox_record_arg(args[0], &number) < 0) return NULL;
    const char *name = PyUnicode_AsUTF8(args[1]);
    if (!name) return NULL;
    pyox_blob b;
    pyox_record_blob(number, 0, &b);
    if (pyox_compressed(number, 0)) return pyox_memfd_from_frame(number, name, &b);
    int fd, result = 0, saved = 0;
    const char *step = "memfd_create";
    Py_BEGIN_ALLOW_THREADS
    fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0) {
        step = "copying it into memory";
        result = pyox_fill_memfd(fd, &b);
        if (result == 0) pyox_seal(fd);
    }
    saved = errno;
    if (fd >= 0 && result != 0) close(fd);
    Py_END_ALLOW_THREADS
    if (fd < 0 || result == -1) return pyox_memfd_failed(name, step, saved);
    if (result == -2) return pyox_corrupt(number, "the shared object", "fails its checksum");
    return pyox_memfd_result(fd);
}

#if defined(__x86_64__) && defined(EM_X86_64)
#define PYOX_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__) && defined(EM_AARCH64)
#define PYOX_ELF_MACHINE EM_AARCH64
#endif

#ifdef PYOX_ELF_MACHINE
/* A shared object with no code: only DT_NEEDED entries naming `paths` (and an empty symbol
 * table). One dlopen() of it loads every path together, so libraries that need each other
 * (freetype and harfbuzz in Pillow's wheel) find each other by soname, which loading them
 * one by one cannot do. malloc()ed; *size is its length. */
static unsigned char *pyox_needing_object(const char *const *paths, size_t n, size_t *size) {
    size_t strsz = 1;
    for (size_t i = 0; i < n; i++) strsz += strlen(paths[i]) + 1;
    size_t phoff = sizeof(Elf64_Ehdr), dynoff = phoff + 3 * sizeof(Elf64_Phdr);
    size_t ndyn = n + 5, symoff = dynoff + ndyn * sizeof(Elf64_Dyn);
    size_t stroff = symoff + sizeof(Elf64_Sym), total = stroff + strsz;
    unsigned char *buf = calloc(1, total);
    if (!buf) return NULL;
    Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_ident[EI_OSABI] = ELFOSABI_SYSV;
    eh->e_type = ET_DYN;
    eh->e_machine = PYOX_ELF_MACHINE;
    eh->e_version = EV_CURRENT;
    eh->e_phoff = phoff;
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 3;
    Elf64_Phdr *ph = (Elf64_Phdr *)(buf + phoff);
    ph[0].p_type = PT_LOAD;
    ph[0].p_flags = PF_R;
    ph[0].p_filesz = ph[0].p_memsz = total;
    ph[0].p_align = 4096;
    ph[1].p_type = PT_DYNAMIC;
    ph[1].p_flags = PF_R;
    ph[1].p_offset = ph[1].p_vaddr = ph[1].p_paddr = dynoff;
    ph[1].p_filesz = ph[1].p_memsz = ndyn * sizeof(Elf64_Dyn);
    ph[1].p_align = 8;
    ph[2].p_type = PT_GNU_STACK; /* without it, loading would make the stack executable */
    ph[2].p_flags = PF_R | PF_W;
    ph[2].p_align = 16;
    Elf64_Dyn *dyn = (Elf64_Dyn *)(buf + dynoff);
    char *strtab = (char *)buf + stroff;
    size_t at = 1;
    for (size_t i = 0; i < n; i++) {
        dyn[i].d_tag = DT_NEEDED;
        dyn[i].d_un.d_val = at;
        memcpy(strtab + at, paths[i], strlen(paths[i]) + 1);
        at += strlen(paths[i]) + 1;
    }
    dyn[n].d_tag = DT_STRTAB;
    dyn[n].d_un.d_ptr = stroff;
    dyn[n + 1].d_tag = DT_STRSZ;
    dyn[n + 1].d_un.d_val = strsz;
    dyn[n + 2].d_tag = DT_SYMTAB;
    dyn[n + 2].d_un.d_ptr = symoff;
    dyn[n + 3].d_tag = DT_SYMENT;
    dyn[n + 3].d_un.d_val = sizeof(Elf64_Sym);
    dyn[n + 4].d_tag = DT_NULL;
    *size = total;
    return buf;
}

/* A memfd holding pyox_needing_object(paths), or -1 with errno. */
static int pyox_needing_memfd(const char *const *paths, size_t n) {
    size_t size = 0;
    unsigned char *object = pyox_needing_object(paths, n, &size);
    if (!object) {
        errno = ENOMEM;
        return -1;
    }
    int fd = (int)syscall(SYS_memfd_create, "pyoxidizer-libraries", MFD_CLOEXEC);
    if (fd >= 0 && write(fd, object, size) != (ssize_t)size) {
        int saved = errno;
        close(fd);
        fd = -1;
        errno = saved ? saved : EIO;
    }
    free(object);
    return fd;
}
#endif

/* load_libraries(paths): load shared libraries (RTLD_NOW | RTLD_LOCAL, as ctypes.CDLL does)
 * that may need each other, all in one dlopen(); extension modules loaded later find them
 * by their sonames. ImportError with the dynamic loader's message if they cannot load. */
PyObject *pyox_mod_load_libraries(PyObject *self, PyObject *arg) {
    (void)self;
    PyObject *seq = PySequence_Fast(arg, "load_libraries() takes a sequence of paths");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **paths = PyMem_Calloc((size_t)n + 1, sizeof(char *));
    PyObject *result = NULL;
    const char *why = NULL;
    int failed = 0, saved = 0;
    if (!paths) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        paths[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
        if (!paths[i]) goto done;
    }
#ifdef PYOX_ELF_MACHINE
    int fd;
    char path[512];
    Py_BEGIN_ALLOW_THREADS
    fd = pyox_needing_memfd(paths, (size_t)n);
    saved = errno;
    Py_END_ALLOW_THREADS
    failed = fd < 0 || pyox_unique_fd_path(fd, path, sizeof(path)) != 0;
    if (!failed) {
        Py_BEGIN_ALLOW_THREADS
        failed = dlopen(path, RTLD_NOW | RTLD_LOCAL) == NULL;
        why = failed ? dlerror() : NULL;
        Py_END_ALLOW_THREADS
    }
    if (fd >= 0) close(fd);
#else
    /* One by one, each round loading those whose dependencies are loaded already. */
    Py_BEGIN_ALLOW_THREADS
    char *done_flags = calloc((size_t)n + 1, 1);
    size_t left = (size_t)n;
    for (int progress = 1; done_flags && left && progress;) {
        progress = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (done_flags[i]) continue;
            if (dlopen(paths[i], RTLD_NOW | RTLD_LOCAL)) {
                done_flags[i] = 1;
                left--;
                progress = 1;
            } else {
                why = dlerror();
            }
        }
    }
    failed = !done_flags || left != 0;
    saved = done_flags ? 0 : ENOMEM;
    free(done_flags);
    Py_END_ALLOW_THREADS
#endif
    if (!failed) {
        result = Py_NewRef(Py_None);
    } else if (why) {
        PyErr_Format(PyExc_ImportError, "cannot load embedded shared libraries: %s", why);
    } else {
        PyErr_Format(PyExc_ImportError, "cannot load embedded shared libraries: %s (errno %d)",
                     strerror(saved), saved);
    }
done:
    PyMem_Free(paths);
    Py_DECREF(seq);
    return result;
}
