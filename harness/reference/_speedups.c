/* The RFC 3339 fast path of harness.reference.timestamps, in C.
 *
 * string_seconds(text) returns the epoch-seconds float of a string that
 * PROTOCOL.md section 5 accepts (an RFC 3339 date-time or a decimal string),
 * and None for any other value: the Python normaliser then takes its own path,
 * which names the rule a rejected value broke. Both paths accept exactly the
 * same strings (tests/reference/test_timestamps.py runs the same corpus and an
 * oracle against each); this one only does it without the interpreter's
 * per-operation cost.
 *
 * Exactness: the value is computed as integer microseconds (a fraction beyond
 * six digits is truncated), an exact double below 2^53, divided once by 1e6:
 * the correctly rounded float of the exact value, as timedelta.total_seconds()
 * gives in the Python path.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define UPPER_BOUND_US 4102444800000000LL /* 2100-01-01T00:00:00Z, exclusive */

static int digits(const Py_UCS1 *s, Py_ssize_t at, Py_ssize_t n, int *out)
{
    int value = 0;
    for (Py_ssize_t i = at; i < at + n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        value = value * 10 + (s[i] - '0');
    }
    *out = value;
    return 1;
}

static int days_in_month(int year, int month)
{
    static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month];
}

/* Days from 1970-01-01 to year-month-day (proleptic Gregorian; H. Hinnant). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* A decimal string ^[0-9]{1,10}(\.[0-9]{1,9})?$ below the bound: its value as integer
 * microseconds (digits beyond the sixth truncated), divided once by 1e6. */
static PyObject *decimal_seconds(const Py_UCS1 *s, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    int64_t seconds = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        seconds = seconds * 10 + (s[i] - '0');
        i++;
        if (i > 10) {
            Py_RETURN_NONE;
        }
    }
    Py_ssize_t whole = i;
    if (whole < 1) {
        Py_RETURN_NONE;
    }
    int64_t micros = 0;
    if (i < n) {
        if (s[i] != '.') {
            Py_RETURN_NONE;
        }
        Py_ssize_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (i - start < 6) {
                micros = micros * 10 + (s[i] - '0');
            }
            i++;
        }
        Py_ssize_t count = i - start;
        if (i != n || count < 1 || count > 9) {
            Py_RETURN_NONE;
        }
        for (Py_ssize_t k = count; k < 6; k++) {
            micros *= 10;
        }
    }
    int64_t total = seconds * 1000000 + micros;
    if (total >= UPPER_BOUND_US) {
        Py_RETURN_NONE;
    }
    return PyFloat_FromDouble((double)total / 1e6);
}

static PyObject *string_seconds(PyObject *module, PyObject *arg)
{
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) {
        Py_RETURN_NONE;
    }
    const Py_UCS1 *s = PyUnicode_1BYTE_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    if (n < 19 || s[4] != '-') {
        return decimal_seconds(s, n);
    }
    int year, month, day, hour, minute, second;
    if (n < 19 || !digits(s, 0, 4, &year) || s[4] != '-' || !digits(s, 5, 2, &month)
        || s[7] != '-' || !digits(s, 8, 2, &day)
        || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, &hour)
        || s[13] != ':' || !digits(s, 14, 2, &minute) || s[16] != ':'
        || !digits(s, 17, 2, &second)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t i = 19;
    int64_t micros = 0;
    if (i < n && s[i] == '.') {
        Py_ssize_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (i - start < 6) {
                micros = micros * 10 + (s[i] - '0');
            }
            i++;
        }
        Py_ssize_t count = i - start;
        if (count < 1 || count > 9) {
            Py_RETURN_NONE;
        }
        for (Py_ssize_t k = count; k < 6; k++) {
            micros *= 10;
        }
    }
    int64_t offset = 0; /* seconds east of UTC */
    if (i == n) {
        /* no zone: read as UTC */
    }
    else if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
        /* UTC */
    }
    else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (!digits(s, i + 1, 2, &oh) || !digits(s, i + 4, 2, &om) || oh > 23 || om > 59) {
            Py_RETURN_NONE;
        }
        offset = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    }
    else {
        Py_RETURN_NONE;
    }
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)
        || hour > 23 || minute > 59 || second > 59) {
        Py_RETURN_NONE;
    }
    int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60
                      + second - offset;
    int64_t total = seconds * 1000000 + micros;
    if (total < 0 || total >= UPPER_BOUND_US) {
        Py_RETURN_NONE;
    }
    return PyFloat_FromDouble((double)total / 1e6);
}

static PyMethodDef methods[] = {
    {"string_seconds", string_seconds, METH_O,
     "Epoch seconds of an accepted date-time or decimal string, or None for any other value."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "harness.reference._speedups",
    "C fast path of the timestamp normaliser.", -1, methods,
};

PyMODINIT_FUNC PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
