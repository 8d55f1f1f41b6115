/*
 * Blobs stored as zstd frames (docs/payload-format.md, "Compression"): a frame records its
 * content size and names the dictionary it needs by ID; dictionaries are DICTIONARY records,
 * read and verified the first time a frame needs one. Frames are decompressed only after
 * their stored bytes passed their CRC-32.
 */
#include "launcher.h"

#include <stdlib.h>

typedef struct {
    unsigned id;
    unsigned char *bytes; /* the verified dictionary, which the DDict refers to */
    ZSTD_DDict *ddict;
} pyox_dictionary;

static pyox_dictionary pyox_dictionaries[8];
static size_t pyox_dictionary_count;
ZSTD_DCtx *pyox_dctx; /* used with the GIL held */

int pyox_compressed(uint32_t number, int part) {
    uint16_t flags = pyox_u16(pyox_record(number) + PYOX_RECORD_FLAGS_AT);
    return (flags & (part ? PYOX_FLAG_SOURCE_ZSTD : PYOX_FLAG_DATA_ZSTD)) != 0;
}

/* The content size a verified frame declares; -1 if it declares none we accept. */
int pyox_frame_size(const unsigned char *frame, size_t n, size_t *size) {
    unsigned long long declared = ZSTD_getFrameContentSize(frame, n);
    if (declared == ZSTD_CONTENTSIZE_UNKNOWN || declared == ZSTD_CONTENTSIZE_ERROR ||
        declared > UINT32_MAX) {
        return -1;
    }
    *size = (size_t)declared;
    return 0;
}

/* The decoding dictionary with this ID, read from its record on first use; NULL if the
 * payload has none that is intact. Called with the GIL held. */
static const ZSTD_DDict *pyox_dictionary_with(unsigned id) {
    for (size_t i = 0; i < pyox_dictionary_count; i++) {
        if (pyox_dictionaries[i].id == id) return pyox_dictionaries[i].ddict;
    }
    if (pyox_dictionary_count == sizeof(pyox_dictionaries) / sizeof(pyox_dictionaries[0])) {
        return NULL;
    }
    for (uint32_t i = 0; i < pyox.entry_count; i++) {
        if (pyox_u16(pyox_record(i) + PYOX_RECORD_KIND_AT) != PYOX_KIND_DICTIONARY) continue;
        pyox_blob b;
        unsigned char head[8];
        pyox_record_blob(i, 0, &b);
        if (b.length < sizeof(head) || pyox_pread_all(head, sizeof(head), b.offset) != 0 ||
            ZSTD_getDictID_fromDict(head, sizeof(head)) != id) {
            continue;
        }
        unsigned char *bytes = NULL;
        if (pyox_blob_copy(&b, &bytes) != PYOX_READ_OK) return NULL;
        ZSTD_DDict *ddict = ZSTD_createDDict_byReference(bytes, b.length);
        if (!ddict || ZSTD_getDictID_fromDDict(ddict) != id) {
            ZSTD_freeDDict(ddict);
            free(bytes);
            return NULL;
        }
        pyox_dictionaries[pyox_dictionary_count++] = (pyox_dictionary){id, bytes, ddict};
        return ddict;
    }
    return NULL;
}

/* Decompress a verified frame into dst, exactly size bytes. 0; -1 if it does not. */
int pyox_decompress(ZSTD_DCtx *dctx, void *dst, size_t size, const unsigned char *frame,
                           size_t n, const ZSTD_DDict *ddict) {
    size_t r = ddict ? ZSTD_decompress_usingDDict(dctx, dst, size, frame, n, ddict)
                     : ZSTD_decompressDCtx(dctx, dst, size, frame, n);
    return ZSTD_isError(r) || r != size ? -1 : 0;
}

/* The dictionary a verified frame needs: *ddict, NULL when it needs none. -1 if the
 * payload lacks it. Called with the GIL held. */
int pyox_frame_dictionary(const unsigned char *frame, size_t n, const ZSTD_DDict **ddict) {
    unsigned id = ZSTD_getDictID_fromFrame(frame, n);
    *ddict = id ? pyox_dictionary_with(id) : NULL;
    return id && !*ddict ? -1 : 0;
}

/* Free the dictionaries and the decompression context (at exit). */
void pyox_frames_free(void) {
    for (size_t i = 0; i < pyox_dictionary_count; i++) {
        ZSTD_freeDDict(pyox_dictionaries[i].ddict);
        free(pyox_dictionaries[i].bytes);
    }
    ZSTD_freeDCtx(pyox_dctx);
}
