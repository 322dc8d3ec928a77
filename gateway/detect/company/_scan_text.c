/* The prompt side of company matching that reads a text as characters (``_scan.c``
 * reads its words as UTF-8 bytes): code tokens (code.py), digit stretches (cells.py) and
 * code punctuation, each in one pass where a regex or several ``str.count`` calls were.
 * Each gives what the Python it replaces gives (tests/detect/company/test_compiled.py). */
#include "_scan.h"

/* The words code tokens read as (code.py): placeholders for names, strings, numbers. */
static const char NAME_WORD[] = "\x01id", STRING_WORD[] = "\x01str", NUMBER_WORD[] = "\x01num";
#define LONGEST_KEYWORD 16

/* ``\d`` and ``\w`` as the regex module reads them; ASCII answered without Python's
 * character tables (a call per class asked: four for a word character) */
static inline int is_decimal(Py_UCS4 c) {
    return c < 128 ? c - '0' < 10u : Py_UNICODE_ISDECIMAL(c);
}

static inline int is_word(Py_UCS4 c) {
    if (c < 128) return (c | 0x20) - 'a' < 26u || c - '0' < 10u || c == '_';
    return Py_UNICODE_ISALNUM(c);
}

static int add_bytes(Out *out, const char *bytes, Py_ssize_t size) {
    uint64_t power = 1;
    return add(out, poly((const unsigned char *)bytes, size, &power) ^ ((uint64_t)size * MIX2));
}

/* Whether the ASCII ``lowered`` is among ``keywords`` (a sorted tuple of bytes). */
static int keyword(PyObject *keywords, const char *lowered, Py_ssize_t size) {
    Py_ssize_t low = 0, high = PyTuple_GET_SIZE(keywords);
    while (low < high) {
        Py_ssize_t middle = (low + high) / 2;
        PyObject *item = PyTuple_GET_ITEM(keywords, middle);
        Py_ssize_t item_size = PyBytes_GET_SIZE(item);
        int order = memcmp(PyBytes_AS_STRING(item), lowered, (size_t)(item_size < size ? item_size : size));
        if (order == 0) order = (item_size > size) - (item_size < size);
        if (order == 0) return 1;
        if (order < 0) low = middle + 1;
        else high = middle;
    }
    return 0;
}

/* The length of the quoted string at ``start`` as code._FLAT reads one (at most 2,000
 * characters or escapes, no line break), or 0 when there is none. */
static Py_ssize_t string_at(int kind, const void *data, Py_ssize_t size, Py_ssize_t start) {
    Py_UCS4 quote = PyUnicode_READ(kind, data, start);
    Py_ssize_t i = start + 1;
    for (int units = 0;; units++) {
        if (i >= size) return 0;
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == quote) return i + 1 - start;
        if (units == 2000 || c == '\n') return 0;
        if (c == '\\') {
            if (i + 1 >= size || PyUnicode_READ(kind, data, i + 1) == '\n') return 0;
            i += 2;
        } else {
            i += 1;
        }
    }
}

/* code_cut(text, keywords) -> (blocks, tokens)
 *
 * code.code_words(text) hashed as cut() hashes words, for a text without long strings,
 * block comments or kept comments (those take code.code_tokens): the tokens of
 * code._FLAT, each read as code._word_of reads it (a name as itself when its lower case
 * is one of ``keywords``, a sorted tuple of ASCII bytes, else as the name placeholder;
 * strings and numbers as theirs; comments dropped; an operator as itself). */
PyObject *code_cut(PyObject *self, PyObject *args) {
    PyObject *text, *keywords;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyTuple_Type, &keywords)) return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(keywords); i++) {
        if (!PyBytes_Check(PyTuple_GET_ITEM(keywords, i))) {
            PyErr_SetString(PyExc_TypeError, "keywords must be a sorted tuple of bytes");
            return NULL;
        }
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text), tokens = 0, position = 0;
    Out out = {0};
    PyObject *result = NULL;
    while (position < size) {
        Py_UCS4 c = PyUnicode_READ(kind, data, position);
        Py_UCS4 next = position + 1 < size ? PyUnicode_READ(kind, data, position + 1) : 0;
        int failed = 0;
        if (is_word(c) && !is_decimal(c)) { /* a name: [^\W\d]\w* */
            char lowered[LONGEST_KEYWORD];
            Py_ssize_t end = position, length = 0;
            int plain = 1; /* only ASCII (or the Kelvin sign, whose lower case is k) */
            while (end < size && is_word(c = PyUnicode_READ(kind, data, end))) {
                if (plain && length < LONGEST_KEYWORD && (c < 128 || c == 0x212A))
                    lowered[length++] = c == 0x212A ? 'k' : (char)Py_TOLOWER(c);
                else plain = 0;
                end++;
            }
            if (plain && keyword(keywords, lowered, length)) failed = add_bytes(&out, lowered, length);
            else failed = add_bytes(&out, NAME_WORD, sizeof NAME_WORD - 1);
            position = end;
        } else if (is_decimal(c)) { /* a number: \d[\w.]* */
            Py_ssize_t end = position + 1;
            while (end < size && (is_word(c = PyUnicode_READ(kind, data, end)) || c == '.')) end++;
            failed = add_bytes(&out, NUMBER_WORD, sizeof NUMBER_WORD - 1);
            position = end;
        } else if ((c == '"' || c == '\'') && string_at(kind, data, size, position)) {
            position += string_at(kind, data, size, position);
            failed = add_bytes(&out, STRING_WORD, sizeof STRING_WORD - 1);
        } else if ((c == '/' && next == '/') || c == '#' ||
                   (c == '-' && next == '-' && position + 2 < size &&
                    (PyUnicode_READ(kind, data, position + 2) == ' ' ||
                     PyUnicode_READ(kind, data, position + 2) == '\t'))) { /* a comment */
            while (position < size && PyUnicode_READ(kind, data, position) != '\n') position++;
            continue;
        } else if (!Py_UNICODE_ISSPACE(c) && c != ',' && c != ';') { /* an operator */
            char encoded[4];
            Py_ssize_t length;
            if (c < 0x80) {
                encoded[0] = (char)c;
                length = 1;
            } else if (c < 0x800) {
                encoded[0] = (char)(0xC0 | (c >> 6));
                encoded[1] = (char)(0x80 | (c & 0x3F));
                length = 2;
            } else if (c < 0x10000) { /* surrogates too, as "surrogatepass" writes them */
                encoded[0] = (char)(0xE0 | (c >> 12));
                encoded[1] = (char)(0x80 | ((c >> 6) & 0x3F));
                encoded[2] = (char)(0x80 | (c & 0x3F));
                length = 3;
            } else {
                encoded[0] = (char)(0xF0 | (c >> 18));
                encoded[1] = (char)(0x80 | ((c >> 12) & 0x3F));
                encoded[2] = (char)(0x80 | ((c >> 6) & 0x3F));
                encoded[3] = (char)(0x80 | (c & 0x3F));
                length = 4;
            }
            failed = add_bytes(&out, encoded, length);
            position++;
        } else { /* whitespace, ',' and ';' are not tokens */
            position++;
            continue;
        }
        if (failed) {
            PyErr_NoMemory();
            goto done;
        }
        tokens++;
    }
    PyObject *blocks = PyBytes_FromStringAndSize((const char *)out.blocks, out.count * 16);
    if (blocks != NULL) result = Py_BuildValue("(On)", blocks, tokens);
    Py_XDECREF(blocks);
done:
    PyMem_Free(out.blocks);
    PyMem_Free(out.where);
    return result;
}

static inline int is_separator(Py_UCS4 c) { return c == ' ' || c == '.' || c == '-' || c == '/'; }

/* The next stretch of digits and `` .-/()`` from ``*position`` (its first digit to its
 * end): 1 with ``*start`` and ``*position`` at its ends, 0 when there is none. */
static int next_stretch(int kind, const void *data, Py_ssize_t size, Py_ssize_t *position,
                        Py_ssize_t *start) {
    Py_ssize_t i = *position;
    while (i < size && !is_decimal(PyUnicode_READ(kind, data, i))) i++;
    if (i >= size) return 0;
    *start = i++;
    for (; i < size; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!(is_separator(c) || c == '(' || c == ')' || is_decimal(c))) break;
    }
    *position = i;
    return 1;
}

/* Where cells._digit_runs's pattern, tried at ``p`` of a text read up to ``end``, stops
 * (-1: no match). Each repetition (a separator form, then a digit) can be read one way
 * only, so the greedy reading is walked once and the regex's backtracking is over its
 * ends: the longest reading with ``more`` repetitions or more whose end, with or without
 * a closing bracket, is not followed by a word character. */
static Py_ssize_t run_at(int kind, const void *data, Py_ssize_t end, Py_ssize_t p, Py_ssize_t more) {
#define AT(i) PyUnicode_READ(kind, data, (i))
    if (p > 0 && (is_word(AT(p - 1)) || AT(p - 1) == '+')) return -1;
    Py_ssize_t q = p;
    if (q < end && AT(q) == '+') q++;
    if (q < end && AT(q) == '(') q++;
    if (!(q < end && is_decimal(AT(q)))) return -1;
    Py_ssize_t after[41]; /* after[r]: the end of the reading with r repetitions */
    int reps = 0;
    after[0] = ++q;
    while (reps < 40) {
        Py_ssize_t r = q;
        if (r < end && is_separator(AT(r))) {
            for (int k = 0; k < 2 && r < end && is_separator(AT(r)); k++) r++;
            if (r < end && AT(r) == '(') r++;
        } else if (r < end && AT(r) == ')') {
            r++;
            for (int k = 0; k < 2 && r < end && is_separator(AT(r)); k++) r++;
        }
        if (!(r < end && is_decimal(AT(r)))) break;
        q = r + 1;
        after[++reps] = q;
    }
    for (int r = reps; r >= more; r--) {
        Py_ssize_t e = after[r];
        if (e < end && AT(e) == ')' && (e + 1 >= end || !is_word(AT(e + 1)))) return e + 1;
        if (e >= end || !is_word(AT(e))) return e;
    }
    return -1;
#undef AT
}

/* cells._runs in one stretch ``[start, stop)`` and the digit groups of each run: when
 * the stretch holds ``least`` digits once a digit group a run cannot use is left out
 * (the first when a word character comes just before it, the last when one comes just
 * after, ASCII digits as ``str.strip`` takes them), every match of cells._digit_runs's
 * pattern from two characters before it to one after, added to ``found`` as int64
 * pairs, per run: (start, end), (groups, 0), then each group of digits (``\d+``). */
static int runs_in(int kind, const void *data, Py_ssize_t size, Py_ssize_t start,
                   Py_ssize_t stop, Py_ssize_t least, Pairs *found) {
    if (stop - start < least) return 0;
    Py_ssize_t first = start, last = stop;
    if (stop < size && is_word(PyUnicode_READ(kind, data, stop)))
        while (last > first && (Py_UCS4)(PyUnicode_READ(kind, data, last - 1) - '0') < 10u)
            last--;
    if (start > 0 && is_word(PyUnicode_READ(kind, data, start - 1)))
        while (first < last && (Py_UCS4)(PyUnicode_READ(kind, data, first) - '0') < 10u) first++;
    Py_ssize_t digits = 0;
    for (Py_ssize_t i = first; i < last; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        digits += !(is_separator(c) || c == '(' || c == ')');
    }
    if (digits < least) return 0;
    Py_ssize_t end = stop + 1 < size ? stop + 1 : size;
    for (Py_ssize_t p = start >= 2 ? start - 2 : 0; p < end;) {
        Py_ssize_t after = run_at(kind, data, end, p, least - 1);
        if (after < 0) {
            p++;
            continue;
        }
        Py_ssize_t groups = 0;
        for (Py_ssize_t i = p; i < after; i++)
            if (is_decimal(PyUnicode_READ(kind, data, i)) &&
                (i == p || !is_decimal(PyUnicode_READ(kind, data, i - 1))))
                groups++;
        if (add_pair(found, p, after) < 0 || add_pair(found, groups, 0) < 0) return -1;
        for (Py_ssize_t i = p; i < after;) {
            if (!is_decimal(PyUnicode_READ(kind, data, i))) {
                i++;
                continue;
            }
            Py_ssize_t group = i;
            while (i < after && is_decimal(PyUnicode_READ(kind, data, i))) i++;
            if (add_pair(found, group, i) < 0) return -1;
        }
        p = after;
    }
    return 0;
}

/* stretches(text, more, runs) -> bytes
 *
 * What ``re.finditer(r"\d[\d .\-/()]{more,}", text)`` finds (cells._digit_stretches), as
 * two int64 a match: in each maximal run of digits (any decimal digit, as ``\d``) and
 * `` .-/()``, from its first digit to its end, when that holds ``more + 1`` characters
 * (a later start in the same run would end at the same place, shorter). ``runs``: what
 * cells._runs then finds in them, with their digit groups (``runs_in``). */
PyObject *stretches(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_ssize_t more;
    int runs;
    if (!PyArg_ParseTuple(args, "Unp", &text, &more, &runs)) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text), position = 0;
    Pairs found = {0};
    PyObject *result = NULL;
    Py_ssize_t start;
    while (next_stretch(kind, data, size, &position, &start)) {
        if (runs ? runs_in(kind, data, size, start, position, more + 1, &found) < 0
                 : position - start > more && add_pair(&found, start, position) < 0)
            goto done;
    }
    result = pairs_bytes(&found);
done:
    PyMem_Free(found.items);
    return result;
}

/* casefold(text, caseless) -> str or None
 *
 * ``text.casefold()`` when every character of ``text`` is ASCII (lower-cased) or one of
 * ``caseless``'s (a bit per character of the Basic Multilingual Plane, set where
 * ``str.casefold`` leaves it as it is: Python's own table, read once), else None (the
 * caller folds it). Hangul, CJK, most punctuation: one table read a character, where
 * ``str.casefold`` makes two table calls. */
PyObject *casefold(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_buffer caseless;
    if (!PyArg_ParseTuple(args, "Uy*", &text, &caseless)) return NULL;
    PyObject *result = NULL;
    const unsigned char *bits = caseless.buf;
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (caseless.len != 65536 / 8) {
        PyErr_SetString(PyExc_ValueError, "caseless holds a bit per BMP character");
        goto done;
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 128 && (c > 0xFFFF || !(bits[c >> 3] & (1u << (c & 7))))) {
            result = Py_NewRef(Py_None);
            goto done;
        }
    }
    /* the same characters, ASCII ones lower-cased: the same kind of string */
    result = PyUnicode_New(size, PyUnicode_IS_ASCII(text) ? 127 : PyUnicode_MAX_CHAR_VALUE(text));
    if (result == NULL) goto done;
    void *target = PyUnicode_DATA(result);
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        PyUnicode_WRITE(kind, target, i, c - 'A' < 26u ? c + 32 : c);
    }
done:
    PyBuffer_Release(&caseless);
    return result;
}

/* code_marks(text) -> int: how many of ``{}();=`` ``text`` holds (code.looks_like_code). */
PyObject *code_marks(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text)) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text), marks = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        marks += c == '{' || c == '}' || c == '(' || c == ')' || c == ';' || c == '=';
    }
    return PyLong_FromSsize_t(marks);
}
