/* The prompt side of company matching in one pass each: words and Hangul name heads
 * cut and hashed (before the key), runs of keyed words combined and mixed, and the
 * presence filter and sorted hashes probed.
 *
 * The same arithmetic as tokens.py, cells.py and lookup.py, which stay the reference
 * (registration and the tests use them; the tests compare both on random texts): a
 * word's hash is its UTF-8 bytes as a polynomial in 0x100000001B3 modulo 2**64, xor its
 * length times the mixing constant; runs are polynomials of keyed word hashes in
 * 0x9E3779B97F4A7C15, mixed by SplitMix64's finaliser. Nothing here sees the key: the
 * words are keyed by AES between ``cut`` and ``runs`` (tokens.TokenHasher), and only
 * keyed hashes are looked up.
 *
 * Why C: on a 1 KB prompt the numpy version made ~150 calls, each costing more than the
 * arithmetic it did (docs/performance.md, "Company matching"). What reads a text as
 * characters (code tokens, digit stretches) is in _scan_text.c.
 */
#include "_scan.h"

/* A head of n syllables of word a, or word a and the first n - len(a) syllables of b. */
static uint64_t head_hash(const unsigned char *a, Py_ssize_t a_size, const unsigned char *b,
                          Py_ssize_t b_size) {
    uint64_t power = 1;
    uint64_t hash = poly(a, a_size, &power);
    if (b_size) hash += poly(b, b_size, &power);
    return hash ^ ((uint64_t)(a_size + b_size) * MIX2);
}

/* The words of one chunk: start offsets and sizes. */
static Py_ssize_t bounds(const unsigned char *data, Py_ssize_t begin, Py_ssize_t end,
                         Py_ssize_t *starts, Py_ssize_t *sizes) {
    Py_ssize_t words = 0, i = begin;
    while (i < end) {
        while (i < end && data[i] == ' ') i++;
        if (i >= end) break;
        Py_ssize_t start = i;
        while (i < end && data[i] != ' ') i++;
        starts[words] = start;
        sizes[words] = i - start;
        words++;
    }
    return words;
}

static int heads_of_word(Out *out, const unsigned char *data, const Py_ssize_t *starts,
                         const Py_ssize_t *sizes, Py_ssize_t index, Py_ssize_t last,
                         Py_ssize_t done, const int *lengths, int count, int cuts, int pairs) {
    const unsigned char *token = data + starts[index];
    Py_ssize_t size = sizes[index];
    if (!hangul(token, size)) return 0;
    size /= 3;
    if (cuts) {
        for (int k = 0; k < count; k++) {
            int n = lengths[k];
            if (n < size && size <= n + 2 &&
                add_head(out, head_hash(token, 3 * n, NULL, 0), done + index, n, n) < 0)
                return -1;
        }
    }
    if (pairs && size <= 2 && index < last) {
        const unsigned char *after = data + starts[index + 1];
        Py_ssize_t after_size = sizes[index + 1];
        if (!hangul(after, after_size)) return 0;
        for (int k = 0; k < count; k++) {
            int n = lengths[k];
            if (size < n && n <= size + after_size / 3) {
                uint64_t hash = head_hash(token, 3 * size, after, 3 * (n - size));
                if (add_head(out, hash, done + index, size - n, n) < 0) return -1;
            }
        }
    }
    return 0;
}

/* cut(data, lengths, grouped) -> (blocks, words, where)
 *
 * ``data``: space-separated words (tokens.Words.data). Each word's hash, then each
 * Hangul name head of the syllable counts ``lengths`` (ascending), as the AES input
 * (16 bytes a value); ``where``: three int64 a head (word, syllables, size). Heads in
 * the order of cells._head_pieces (word by word), or with ``grouped`` in that of
 * tokens._hangul_heads (per 64 KB chunk, per length, cut heads then joined ones). A
 * text longer than 64 KB is read in the chunks of tokens._chunks, whose ends break
 * words and joins as they do there. */
static PyObject *cut(PyObject *self, PyObject *args) {
    Py_buffer view;
    PyObject *lengths_seq;
    int grouped;
    if (!PyArg_ParseTuple(args, "y*Op", &view, &lengths_seq, &grouped)) return NULL;
    int lengths[MAX_LENGTH];
    int count = 0;
    PyObject *result = NULL;
    Out out = {0};
    Py_ssize_t *starts = NULL, *sizes = NULL, *chunk_words = NULL;
    PyObject *fast = PySequence_Fast(lengths_seq, "lengths must be a sequence");
    if (fast == NULL) goto done;
    if (PySequence_Fast_GET_SIZE(fast) > MAX_LENGTH) {
        PyErr_SetString(PyExc_ValueError, "too many lengths");
        Py_DECREF(fast);
        goto done;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
        long n = PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, i));
        if (n == -1 && PyErr_Occurred()) {
            Py_DECREF(fast);
            goto done;
        }
        if (n < 1 || n > MAX_LENGTH || (count && n <= lengths[count - 1])) {
            PyErr_SetString(PyExc_ValueError, "lengths must ascend within 1..63");
            Py_DECREF(fast);
            goto done;
        }
        lengths[count++] = (int)n;
    }
    Py_DECREF(fast);
    const unsigned char *data = view.buf;
    Py_ssize_t size = view.len;
    Py_ssize_t most = size / 2 + 2 + size / CHUNK; /* a chunk end may split a word */
    starts = PyMem_Malloc((size_t)most * sizeof(Py_ssize_t));
    sizes = PyMem_Malloc((size_t)most * sizeof(Py_ssize_t));
    chunk_words = PyMem_Malloc((size_t)(2 * (size / CHUNK + 2)) * sizeof(Py_ssize_t));
    if (starts == NULL || sizes == NULL || chunk_words == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t words = 0;
    /* pass 1: the words, chunk by chunk (tokens._chunks) */
    Py_ssize_t position = 0;
    Py_ssize_t chunks = 0;
    while (position < size) {
        Py_ssize_t end = position + CHUNK < size ? position + CHUNK : size;
        if (end < size) {
            Py_ssize_t cut_at = -1;
            for (Py_ssize_t i = end - 1; i >= position; i--) {
                if (data[i] == ' ') {
                    cut_at = i;
                    break;
                }
            }
            if (cut_at > position) end = cut_at + 1;
        }
        Py_ssize_t found = bounds(data, position, end, starts + words, sizes + words);
        chunk_words[2 * chunks] = words;
        chunk_words[2 * chunks + 1] = words + found;
        chunks++;
        for (Py_ssize_t i = words; i < words + found; i++) {
            uint64_t power = 1;
            uint64_t hash = poly(data + starts[i], sizes[i], &power);
            if (add(&out, hash ^ ((uint64_t)sizes[i] * MIX2)) < 0) {
                PyErr_NoMemory();
                goto done;
            }
        }
        words += found;
        position = end;
    }
    /* pass 2: the heads */
    if (count) {
        for (Py_ssize_t c = 0; c < chunks; c++) {
            Py_ssize_t first = chunk_words[2 * c], after = chunk_words[2 * c + 1];
            if (!grouped) {
                for (Py_ssize_t i = first; i < after; i++) {
                    if (heads_of_word(&out, data, starts, sizes, i, after - 1, 0, lengths, count,
                                      1, 1) < 0) {
                        PyErr_NoMemory();
                        goto done;
                    }
                }
                continue;
            }
            for (int k = 0; k < count; k++) {
                for (int pass = 0; pass < 2; pass++) {
                    for (Py_ssize_t i = first; i < after; i++) {
                        if (heads_of_word(&out, data, starts, sizes, i, after - 1, 0, lengths + k,
                                          1, pass == 0, pass == 1) < 0) {
                            PyErr_NoMemory();
                            goto done;
                        }
                    }
                }
            }
        }
    }
    PyObject *blocks = PyBytes_FromStringAndSize((const char *)out.blocks, out.count * 16);
    PyObject *where = PyBytes_FromStringAndSize((const char *)out.where,
                                                out.heads * 3 * (Py_ssize_t)sizeof(int64_t));
    if (blocks != NULL && where != NULL) result = Py_BuildValue("(OnO)", blocks, words, where);
    Py_XDECREF(blocks);
    Py_XDECREF(where);
done:
    PyMem_Free(out.blocks);
    PyMem_Free(out.where);
    PyMem_Free(starts);
    PyMem_Free(sizes);
    PyMem_Free(chunk_words);
    PyBuffer_Release(&view);
    return result;
}

/* runs(sealed, words, lengths) -> bytes
 *
 * ``sealed``: the AES output of ``cut``'s blocks (the first 8 bytes of each 16 are a
 * keyed hash). For each of ``lengths`` (ascending), every run of that many consecutive
 * words combined and mixed (tokens.combine_many); then each value past ``words`` (the
 * heads) mixed. As uint64. */
static PyObject *runs(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t words;
    PyObject *lengths_seq;
    if (!PyArg_ParseTuple(args, "y*nO", &view, &words, &lengths_seq)) return NULL;
    PyObject *result = NULL;
    int lengths[MAX_LENGTH];
    int count = 0;
    Py_ssize_t values = view.len / 16;
    PyObject *fast = PySequence_Fast(lengths_seq, "lengths must be a sequence");
    if (fast == NULL) goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast) && count < MAX_LENGTH; i++) {
        long n = PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, i));
        if ((n == -1 && PyErr_Occurred()) || n < 1 || n > MAX_LENGTH ||
            (count && n <= lengths[count - 1])) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "lengths must ascend within 1..63");
            Py_DECREF(fast);
            goto done;
        }
        lengths[count++] = (int)n;
    }
    Py_DECREF(fast);
    if (words < 0 || words > values) {
        PyErr_SetString(PyExc_ValueError, "more words than values");
        goto done;
    }
    Py_ssize_t total = values - words;
    for (int k = 0; k < count; k++)
        if (words >= lengths[k]) total += words - lengths[k] + 1;
    result = PyBytes_FromStringAndSize(NULL, total * 8);
    if (result == NULL) goto done;
    uint64_t *target = (uint64_t *)PyBytes_AS_STRING(result);
    const uint64_t *keyed = view.buf; /* keyed[2 * i]: value i */
    for (int k = 0; k < count; k++) {
        Py_ssize_t n = lengths[k];
        for (Py_ssize_t i = 0; i + n <= words; i++) {
            uint64_t acc = 0;
            for (Py_ssize_t j = 0; j < n; j++) acc = acc * RUN_BASE + keyed[2 * (i + j)];
            *target++ = mix(acc);
        }
    }
    for (Py_ssize_t i = words; i < values; i++) *target++ = mix(keyed[2 * i]);
done:
    PyBuffer_Release(&view);
    return result;
}

/* entries(wanted, bits, shift, hashes, longest, directory, bucket_shift) -> pairs
 *
 * lookup.SortedHashes.entries: every entry of the sorted ``hashes`` equal to a wanted
 * hash, as (entry, wanted index) pairs (int64 each), by wanted index then entry; a hash
 * held by more than ``longest`` entries is left out. The presence filter ``bits`` (bit
 * ``h >> shift``) is asked first, and only what it lets through is searched: in its
 * bucket when there is a ``directory`` (uint32, bucket ``h >> bucket_shift``; empty:
 * none), else in the whole array. */
static PyObject *entries(PyObject *self, PyObject *args) {
    Py_buffer wanted_view, bits_view, hashes_view, directory_view;
    int shift, bucket_shift;
    Py_ssize_t longest;
    if (!PyArg_ParseTuple(args, "y*y*iy*ny*i", &wanted_view, &bits_view, &shift, &hashes_view,
                          &longest, &directory_view, &bucket_shift))
        return NULL;
    const uint32_t *directory = directory_view.buf;
    Py_ssize_t buckets = directory_view.len / 4 - 1;
    PyObject *result = NULL;
    Pairs found = {0};
    const uint64_t *wanted = wanted_view.buf;
    const unsigned char *bits = bits_view.buf;
    const uint64_t *hashes = hashes_view.buf;
    Py_ssize_t size = hashes_view.len / 8, wanted_size = wanted_view.len / 8;
    uint64_t slots = (uint64_t)bits_view.len * 8;
    if (shift < 1 || shift > 63 || (((uint64_t)-1) >> shift) >= slots) {
        PyErr_SetString(PyExc_ValueError, "the filter does not fit the shift");
        goto done;
    }
    if (buckets > 0 && (bucket_shift < 1 || bucket_shift > 63 ||
                        (((uint64_t)-1) >> bucket_shift) >= (uint64_t)buckets ||
                        directory[buckets] != (uint64_t)size)) {
        PyErr_SetString(PyExc_ValueError, "the directory does not fit the hashes");
        goto done;
    }
    for (Py_ssize_t i = 0; size && i < wanted_size; i++) {
        uint64_t value = wanted[i];
        uint64_t slot = value >> shift;
        if (!(bits[slot >> 3] & (1u << (slot & 7)))) continue;
        Py_ssize_t low = 0, high = size; /* first entry >= value */
        if (buckets > 0) {
            uint64_t bucket = value >> bucket_shift;
            high = directory[bucket + 1] < (uint64_t)size ? directory[bucket + 1] : size;
            low = directory[bucket] < (uint64_t)high ? directory[bucket] : high;
        }
        while (low < high) {
            Py_ssize_t middle = low + (high - low) / 2;
            if (hashes[middle] < value) low = middle + 1;
            else high = middle;
        }
        Py_ssize_t end = low;
        while (end < size && hashes[end] == value) end++;
        if (end == low || end - low > longest) continue;
        for (Py_ssize_t entry = low; entry < end; entry++)
            if (add_pair(&found, entry, i) < 0) goto done;
    }
    result = pairs_bytes(&found);
done:
    PyMem_Free(found.items);
    PyBuffer_Release(&wanted_view);
    PyBuffer_Release(&bits_view);
    PyBuffer_Release(&hashes_view);
    PyBuffer_Release(&directory_view);
    return result;
}

/* spans(data) -> bytes
 *
 * Where each space-separated word of UTF-8 ``data`` starts and ends, in characters
 * (two int64 a word): tokens.Words.spans before its clamping. */
static PyObject *spans(PyObject *self, PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    const unsigned char *data = view.buf;
    Py_ssize_t size = view.len, words = 0;
    for (Py_ssize_t i = 0; i < size; i++)
        if (data[i] != ' ' && (i == 0 || data[i - 1] == ' ')) words++;
    PyObject *result = PyBytes_FromStringAndSize(NULL, words * 2 * (Py_ssize_t)sizeof(int64_t));
    if (result != NULL) {
        int64_t *target = (int64_t *)PyBytes_AS_STRING(result);
        int64_t characters = 0;
        int inside = 0;
        for (Py_ssize_t i = 0; i < size; i++) {
            int space = data[i] == ' ';
            if (inside && space) *target++ = characters;
            else if (!inside && !space) *target++ = characters;
            inside = !space;
            if ((data[i] & 0xC0) != 0x80) characters++;
        }
        if (inside) *target++ = characters;
    }
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"cut", cut, METH_VARARGS, "Words and Hangul name heads, hashed before the key."},
    {"runs", runs, METH_VARARGS, "Runs of keyed words combined and mixed; heads mixed."},
    {"code_cut", code_cut, METH_VARARGS, "Code tokens hashed before the key."},
    {"stretches", stretches, METH_VARARGS, "Stretches of digits and separators."},
    {"code_marks", code_marks, METH_VARARGS, "How many of {}();= a text holds."},
    {"spans", spans, METH_VARARGS, "Each word's start and end, in characters."},
    {"entries", entries, METH_VARARGS, "Entries of sorted hashes equal to wanted ones."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "The prompt side of company matching, compiled.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__scan(void) { return PyModule_Create(&module); }
