/*
 * Step 1 of the launcher: the running executable, opened once, and its payload's trailer,
 * index and header, read with pread into private memory and verified; then the lookups
 * of entries in the index. The payload is never mapped (docs/payload-format.md).
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read exactly n bytes at a payload offset. 0, or -1 with errno (EIO for a short file). */
int pyox_pread_all(void *buf, size_t n, uint64_t payload_offset) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(pyox.fd, (char *)buf + done, n - done,
                          (off_t)(pyox.payload_offset + payload_offset + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) {
            errno = EIO;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

/* A private, verified copy of a blob, NUL-terminated for convenience (free() it). */
pyox_read pyox_blob_copy(const pyox_blob *b, unsigned char **out) {
    *out = NULL;
    if (!pyox_blob_in_payload(b)) return PYOX_READ_CORRUPT;
    unsigned char *buf = malloc((size_t)b->length + 1);
    if (!buf) return PYOX_READ_NOMEM;
    if (pyox_pread_all(buf, b->length, b->offset) != 0) {
        int saved = errno;
        free(buf);
        errno = saved;
        return PYOX_READ_IO;
    }
    if (pyox_crc32(buf, b->length) != b->crc) {
        free(buf);
        return PYOX_READ_CORRUPT;
    }
    buf[b->length] = '\0';
    *out = buf;
    return PYOX_READ_OK;
}

/* --- step 1: the executable, its trailer, index and header ------------------------------ */

/* Step 1a: the path of the running executable where /proc is not mounted (an empty
 * chroot, a minimal container): the path execve() was given (AT_EXECFN), made absolute. */
static int pyox_execfn(void) {
    const char *fn = (const char *)getauxval(AT_EXECFN);
    if (fn == NULL || fn[0] == '\0') return -1;
    while (fn[0] == '.' && fn[1] == '/') fn += 2; /* "./app": the cwd's app */
    size_t used = 0;
    if (fn[0] != '/') {
        if (getcwd(pyox.exe, sizeof(pyox.exe)) == NULL) return -1;
        used = strlen(pyox.exe);
        pyox.exe[used++] = '/';
    }
    if (used + strlen(fn) >= sizeof(pyox.exe)) return -1;
    memcpy(pyox.exe + used, fn, strlen(fn) + 1);
    return 0;
}

/* Step 1b: open the running executable once. /proc/self/exe names the inode being run,
 * so an upgrade that renames a new file over the path cannot feed this process new bytes;
 * without /proc, the AT_EXECFN path is the best there is. */
static int pyox_open_self(void) {
    ssize_t n = readlink("/proc/self/exe", pyox.exe, sizeof(pyox.exe) - 1);
    if (n > 0) {
        pyox.exe[n] = '\0';
        pyox.fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    } else if (pyox_execfn() == 0) {
        PYOX_TRACE("no /proc/self/exe; running %s (AT_EXECFN)", pyox.exe);
        pyox.fd = open(pyox.exe, O_RDONLY | O_CLOEXEC);
    } else {
        pyox.exe[0] = '\0';
        pyox_fail_errno("cannot find the running executable (/proc/self/exe, AT_EXECFN)");
        return -1;
    }
    if (pyox.fd < 0) {
        pyox_fail_errno("cannot open the running executable to read the embedded payload");
        return -1;
    }
    struct stat st;
    if (fstat(pyox.fd, &st) != 0) {
        pyox_fail_errno("cannot stat the executable");
        return -1;
    }
    pyox.file_size = (uint64_t)st.st_size;
    PYOX_TRACE("opened %s (%llu bytes)", pyox.exe, (unsigned long long)pyox.file_size);
    return 0;
}

/* Step 1c: the trailer. Every field is checked against the file size by subtraction, so
 * no sum can wrap around (2^64 - 4096 as an offset is just "does not match the file"). */
static int pyox_read_trailer(uint32_t *index_crc) {
    unsigned char t[PYOX_TRAILER_SIZE];
    if (pyox.file_size < PYOX_TRAILER_SIZE) {
        pyox_fail("embedded payload is missing or truncated (the file is too small)");
        return -1;
    }
    pyox.payload_offset = 0; /* the trailer is read at a file offset */
    if (pyox_pread_all(t, sizeof(t), pyox.file_size - PYOX_TRAILER_SIZE) != 0) {
        pyox_fail_errno("cannot read the payload trailer");
        return -1;
    }
    if (memcmp(t, PYOX_TRAILER_MAGIC, sizeof(PYOX_TRAILER_MAGIC) - 1) != 0) {
        pyox_fail("embedded payload is missing or truncated (no payload trailer)");
        return -1;
    }
    uint32_t version = pyox_u32(t + PYOX_TRAILER_VERSION_AT);
    if (version != PYOX_FORMAT_VERSION) {
        pyox_fail("embedded payload has format version %u, but this launcher reads version %d "
                  "only (rebuild the application)",
                  version, PYOX_FORMAT_VERSION);
        return -1;
    }
    uint64_t room = pyox.file_size - PYOX_TRAILER_SIZE;
    uint64_t offset = pyox_u64(t + PYOX_TRAILER_PAYLOAD_OFFSET_AT);
    pyox.payload_size = pyox_u64(t + PYOX_TRAILER_PAYLOAD_SIZE_AT);
    pyox.index_size = pyox_u64(t + PYOX_TRAILER_INDEX_SIZE_AT);
    if (pyox.payload_size > room || offset != room - pyox.payload_size ||
        pyox.index_size < PYOX_HEADER_SIZE || pyox.index_size > pyox.payload_size ||
        pyox.index_size % PYOX_DATA_ALIGN != 0) {
        pyox_fail("embedded payload is truncated or corrupt (sizes do not match the file)");
        return -1;
    }
    pyox.payload_offset = offset;
    *index_crc = pyox_u32(t + PYOX_TRAILER_INDEX_CRC_AT);
    return 0;
}

/* Step 1c: a private copy of the index, verified before any of it is believed. */
static int pyox_read_index(uint32_t index_crc) {
    pyox.index = malloc(pyox.index_size);
    if (!pyox.index) {
        pyox_fail("cannot allocate %llu bytes for the payload index",
                  (unsigned long long)pyox.index_size);
        return -1;
    }
    if (pyox_pread_all(pyox.index, pyox.index_size, 0) != 0) {
        pyox_fail_errno("cannot read the payload index");
        return -1;
    }
    if (pyox_crc32(pyox.index, pyox.index_size) != index_crc) {
        pyox_fail("embedded payload is corrupt (index checksum mismatch)");
        return -1;
    }
    return 0;
}

/* Every record's kind, name and blobs lie inside the index and the payload. */
static int pyox_check_records(uint32_t names_size) {
    pyox.name_at = malloc(sizeof(uint32_t) * ((size_t)pyox.entry_count + 1));
    if (!pyox.name_at) {
        pyox_fail("cannot allocate the payload name table");
        return -1;
    }
    uint64_t at = 0;
    for (uint32_t i = 0; i < pyox.entry_count; i++) {
        const unsigned char *r = pyox.records + (size_t)i * PYOX_RECORD_SIZE;
        pyox_blob data, source;
        pyox_blob_at(r + PYOX_RECORD_DATA_OFFSET_AT, &data);
        pyox_blob_at(r + PYOX_RECORD_SOURCE_OFFSET_AT, &source);
        pyox.name_at[i] = (uint32_t)at;
        at += pyox_u32(r + PYOX_RECORD_NAME_SIZE_AT);
        if (at > names_size || !pyox_blob_in_payload(&data) || !pyox_blob_in_payload(&source)) {
            pyox_fail("embedded payload index is invalid (record %u points outside the payload)",
                      i);
            return -1;
        }
    }
    if (at != names_size) {
        pyox_fail("embedded payload index is invalid (the names do not add up)");
        return -1;
    }
    pyox.name_at[pyox.entry_count] = (uint32_t)at;
    return 0;
}

/* Step 1d: the fixed header and the records. */
static int pyox_read_header(void) {
    const unsigned char *h = pyox.index;
    if (memcmp(h, PYOX_PAYLOAD_MAGIC, sizeof(PYOX_PAYLOAD_MAGIC) - 1) != 0 ||
        pyox_u32(h + PYOX_HEADER_VERSION_AT) != PYOX_FORMAT_VERSION) {
        pyox_fail("embedded payload header is invalid");
        return -1;
    }
    pyox.entry_count = pyox_u32(h + PYOX_HEADER_ENTRY_COUNT_AT);
    uint32_t names_size = pyox_u32(h + PYOX_HEADER_NAMES_SIZE_AT);
    pyox.config_flags = pyox_u32(h + PYOX_HEADER_CONFIG_FLAGS_AT);
    pyox.optimize_level = pyox_u32(h + PYOX_HEADER_OPTIMIZE_LEVEL_AT);
    pyox_blob_at(h + PYOX_HEADER_SETTINGS_OFFSET_AT, &pyox.settings);
    pyox_blob_at(h + PYOX_HEADER_BOOTSTRAP_OFFSET_AT, &pyox.bootstrap);
    pyox_blob_at(h + PYOX_HEADER_STDIO_ENCODING_OFFSET_AT, &pyox.stdio_encoding);
    pyox_blob_at(h + PYOX_HEADER_MAIN_CODE_OFFSET_AT, &pyox.main_code);
    uint64_t records_end = PYOX_HEADER_SIZE + (uint64_t)pyox.entry_count * PYOX_RECORD_SIZE;
    if (records_end + names_size > pyox.index_size || pyox.optimize_level > 2 ||
        (pyox.config_flags & ~PYOX_CFG_KNOWN_BITS) != 0) {
        pyox_fail("embedded payload header is invalid");
        return -1;
    }
    if (!pyox_blob_in_payload(&pyox.settings) || !pyox_blob_in_payload(&pyox.bootstrap) ||
        !pyox_blob_in_payload(&pyox.stdio_encoding) || !pyox_blob_in_payload(&pyox.main_code)) {
        pyox_fail("embedded payload header points outside the payload");
        return -1;
    }
    pyox.records = pyox.index + PYOX_HEADER_SIZE;
    pyox.names = pyox.index + records_end;
    return pyox_check_records(names_size);
}

/* Step 1e: the run-time settings and the stdio encoding, read and verified before
 * Python exists (the bootstrap is read when it runs, step 3). */
static int pyox_read_config(void) {
    unsigned char *encoding = NULL;
    pyox_read r = pyox_blob_copy(&pyox.settings, &pyox.settings_bytes);
    if (r == PYOX_READ_OK) r = pyox_blob_copy(&pyox.stdio_encoding, &encoding);
    if (r == PYOX_READ_OK && pyox.stdio_encoding.length >= sizeof(pyox.stdio_encoding_text)) {
        r = PYOX_READ_CORRUPT;
    }
    if (r == PYOX_READ_OK) memcpy(pyox.stdio_encoding_text, encoding, pyox.stdio_encoding.length);
    free(encoding);
    if (r == PYOX_READ_IO) pyox_fail_errno("cannot read the run-time settings");
    if (r == PYOX_READ_NOMEM) pyox_fail("cannot allocate memory for the run-time settings");
    if (r == PYOX_READ_CORRUPT) pyox_fail("embedded payload is corrupt (config checksum mismatch)");
    return r == PYOX_READ_OK ? 0 : -1;
}

/* Step 1, all of it: 0, or -1 after one error line. */
int pyox_read_payload(void) {
    uint32_t index_crc = 0;
    if (pyox_open_self() < 0 || pyox_read_trailer(&index_crc) < 0 ||
        pyox_read_index(index_crc) < 0 || pyox_read_header() < 0 || pyox_read_config() < 0) {
        return -1;
    }
    return 0;
}

/* --- the index: lookups by (kind, name) -------------------------------------------------- */

/* Records are sorted by (kind, name); names compare as UTF-8 bytes, which is code-point
 * order, the order the writer sorts Python strings in. -1 when there is no such entry. */
long pyox_find(unsigned kind, const char *name, size_t n) {
    uint32_t lo = 0, hi = pyox.entry_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        unsigned k = pyox_u16(pyox_record(mid) + PYOX_RECORD_KIND_AT);
        int c;
        if (k != kind) {
            c = k < kind ? -1 : 1;
        } else {
            size_t m = pyox.name_at[mid + 1] - pyox.name_at[mid];
            c = memcmp(pyox.names + pyox.name_at[mid], name, m < n ? m : n);
            if (c == 0) c = m < n ? -1 : (m > n ? 1 : 0);
        }
        if (c == 0) return (long)mid;
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

/* The blob of a record: part 0 is its data, part 1 its source. */
void pyox_record_blob(uint32_t number, int part, pyox_blob *b) {
    pyox_blob_at(pyox_record(number) +
                     (part ? PYOX_RECORD_SOURCE_OFFSET_AT : PYOX_RECORD_DATA_OFFSET_AT),
                 b);
}
