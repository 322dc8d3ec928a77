/* The prompt side of company matching that reads a text as characters (``_scan.c``
 * reads its words as UTF-8 bytes): code tokens (code.py), digit stretches (cells.py) and
 * code punctuation, each in one pass where a regex or several ``str.count`` calls were.
 * Each gives what the Python it replaces gives (tests/detect/company/test_compiled.py). */
#include "_scan.h"

/* The words code tokens read as (code.py): placeholders for names, strings, numbers. */
static const char NAME_WORD[] = "\x01id", STRING_WORD[] = "\x01str", NUMBER_WORD[] = "\x01num";
#define LONGEST_KEYWORD 16

static inline int is_word(Py_UCS4 c) { return Py_UNICODE_ISALNUM(c) || c == '_'; }

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
        if (is_word(c) && !Py_UNICODE_ISDECIMAL(c)) { /* a name: [^\W\d]\w* */
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
        } else if (Py_UNICODE_ISDECIMAL(c)) { /* a number: \d[\w.]* */
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

/* stretches(text, more) -> bytes
 *
 * What ``re.finditer(r"\d[\d .\-/()]{more,}", text)`` finds (cells._digit_stretches), as
 * two int64 a match: in each maximal run of digits (any decimal digit, as ``\d``) and
 * `` .-/()``, from its first digit to its end, when that holds ``more + 1`` characters
 * (a later start in the same run would end at the same place, shorter). */
PyObject *stretches(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_ssize_t more;
    if (!PyArg_ParseTuple(args, "Un", &text, &more)) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text), position = 0;
    Pairs found = {0};
    PyObject *result = NULL;
    while (position < size) {
        Py_UCS4 c = PyUnicode_READ(kind, data, position);
        if (!Py_UNICODE_ISDECIMAL(c)) {
            position++;
            continue;
        }
        Py_ssize_t start = position++;
        while (position < size) {
            c = PyUnicode_READ(kind, data, position);
            if (!(c == ' ' || c == '.' || c == '-' || c == '/' || c == '(' || c == ')' ||
                  Py_UNICODE_ISDECIMAL(c)))
                break;
            position++;
        }
        if (position - start > more && add_pair(&found, start, position) < 0) goto done;
    }
    result = pairs_bytes(&found);
done:
    PyMem_Free(found.items);
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
