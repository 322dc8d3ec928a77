/* What the two halves of the compiled prompt side share (``_scan.c``: words, runs,
 * lookups, spans; ``_scan_text.c``: code tokens, digit stretches, code marks): the
 * hashing constants and arithmetic of tokens.py, and growing output buffers. */
#ifndef HAETAE_SCAN_H
#define HAETAE_SCAN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define BYTE_BASE 0x100000001B3ULL
#define RUN_BASE 0x9E3779B97F4A7C15ULL
#define MIX1 0xBF58476D1CE4E5B9ULL
#define MIX2 0x94D049BB133111EBULL
#define CHUNK 65536
#define MAX_LENGTH 63

static inline uint64_t mix(uint64_t value) {
    value ^= value >> 30;
    value *= MIX1;
    value ^= value >> 27;
    value *= MIX2;
    return value ^ (value >> 31);
}

static inline uint64_t poly(const unsigned char *bytes, Py_ssize_t size, uint64_t *power) {
    uint64_t hash = 0, p = *power;
    for (Py_ssize_t i = 0; i < size; i++) {
        hash += (uint64_t)bytes[i] * p;
        p *= BYTE_BASE;
    }
    *power = p;
    return hash;
}

static inline int hangul(const unsigned char *bytes, Py_ssize_t size) {
    /* tokens.is_hangul_word: lead byte EA..ED (Hangul syllables among them), 3 bytes each */
    return size > 0 && bytes[0] >= 0xEA && bytes[0] <= 0xED && size % 3 == 0;
}

typedef struct {
    uint64_t *blocks; /* AES input: each value, then a zero tweak */
    Py_ssize_t count, capacity;
    int64_t *where; /* per head: word, syllables (negative: taken from the next), size */
    Py_ssize_t heads, head_capacity;
} Out;

static inline int grow(Out *out, Py_ssize_t values) {
    if (out->count + values <= out->capacity) return 0;
    Py_ssize_t capacity = out->capacity * 2 + values + 16;
    uint64_t *blocks = PyMem_Realloc(out->blocks, (size_t)capacity * 16);
    if (blocks == NULL) return -1;
    out->blocks = blocks;
    out->capacity = capacity;
    return 0;
}

static inline int add(Out *out, uint64_t value) {
    if (grow(out, 1) < 0) return -1;
    out->blocks[2 * out->count] = value;
    out->blocks[2 * out->count + 1] = 0;
    out->count++;
    return 0;
}

static inline int add_head(Out *out, uint64_t value, int64_t word, int64_t syllables, int64_t size) {
    if (add(out, value) < 0) return -1;
    if (out->heads == out->head_capacity) {
        Py_ssize_t capacity = out->head_capacity * 2 + 16;
        int64_t *where = PyMem_Realloc(out->where, (size_t)capacity * 3 * sizeof(int64_t));
        if (where == NULL) return -1;
        out->where = where;
        out->head_capacity = capacity;
    }
    out->where[3 * out->heads] = word;
    out->where[3 * out->heads + 1] = syllables;
    out->where[3 * out->heads + 2] = size;
    out->heads++;
    return 0;
}

/* A growing list of int64 pairs, returned as bytes. */
typedef struct {
    int64_t *items;
    Py_ssize_t count, capacity;
} Pairs;

static inline int add_pair(Pairs *pairs, int64_t first, int64_t second) {
    if (pairs->count == pairs->capacity) {
        Py_ssize_t capacity = pairs->capacity * 2 + 16;
        int64_t *items = PyMem_Realloc(pairs->items, (size_t)capacity * 2 * sizeof(int64_t));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        pairs->items = items;
        pairs->capacity = capacity;
    }
    pairs->items[2 * pairs->count] = first;
    pairs->items[2 * pairs->count + 1] = second;
    pairs->count++;
    return 0;
}

static inline PyObject *pairs_bytes(Pairs *pairs) {
    return PyBytes_FromStringAndSize((const char *)pairs->items,
                                     pairs->count * 2 * (Py_ssize_t)sizeof(int64_t));
}

PyObject *code_cut(PyObject *self, PyObject *args);
PyObject *stretches(PyObject *self, PyObject *args);
PyObject *code_marks(PyObject *self, PyObject *args);

#endif
