// The per-thread last error of libshmkit's C API (see shmkit.h): set by the Swift exports
// through cshim_set_last_error, read by C callers with shmkit_last_error and
// shmkit_last_error_kind, which are defined here because only C can declare thread-local storage.
#include "CShim.h"

#include <string.h>

static _Thread_local char last_error_text[1024];
static _Thread_local int last_error_kind;

void cshim_set_last_error(int kind, const char *text) {
    last_error_kind = kind;
    size_t length = strnlen(text, sizeof last_error_text - 1);
    memcpy(last_error_text, text, length);
    last_error_text[length] = 0;
}

const char *shmkit_last_error(void) {
    return last_error_text;
}

int shmkit_last_error_kind(void) {
    return last_error_kind;
}
