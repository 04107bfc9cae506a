/*
 * hsdis-shim: lets JDK 25 use Debian's libhsdis0-fcml disassembler.
 *
 * HotSpot (since JDK 13) looks up only the entry point decode_instructions_virtual in
 * hsdis-<arch>.so. Debian's libhsdis0-fcml (1.2.2) exports only the older decode_instructions,
 * so linking it as hsdis-amd64.so silently gives the hex dump ("abstract disassembly")
 * instead of instructions. This shim exports the new entry point and forwards to the old one:
 * HotSpot always passes the code's real address as both the virtual start and the buffer, so
 * the two calls decode the same bytes. Built and installed by asm-check.sh; no other use.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

typedef void *(*event_callback_t)(void *, const char *, void *);
typedef int (*printf_callback_t)(void *, const char *, ...);
typedef void *(*decode_old_t)(void *, void *, event_callback_t, void *, printf_callback_t,
                              void *, const char *);

#ifndef FCML_HSDIS
#define FCML_HSDIS "/usr/lib/x86_64-linux-gnu/libhsdis.so.0"
#endif

static decode_old_t old_decode(void) {
    static decode_old_t fn;
    if (fn == NULL) {
        void *lib = dlopen(FCML_HSDIS, RTLD_NOW | RTLD_LOCAL);
        if (lib == NULL) {
            fprintf(stderr, "hsdis-shim: cannot load %s: %s\n", FCML_HSDIS, dlerror());
            return NULL;
        }
        fn = (decode_old_t) dlsym(lib, "decode_instructions");
        if (fn == NULL) {
            fprintf(stderr, "hsdis-shim: no decode_instructions in %s\n", FCML_HSDIS);
        }
    }
    return fn;
}

__attribute__((visibility("default")))
void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer,
                                  uintptr_t length, event_callback_t event_callback,
                                  void *event_stream, printf_callback_t printf_callback,
                                  void *printf_stream, const char *options, int newline) {
    (void) start_va;
    (void) end_va;
    (void) newline;
    decode_old_t fn = old_decode();
    if (fn == NULL) {
        return NULL;
    }
    return fn(buffer, buffer + length, event_callback, event_stream, printf_callback,
              printf_stream, options);
}
