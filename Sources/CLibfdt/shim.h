#ifndef CKPLAN_CLIBFDT_SHIM_H
#define CKPLAN_CLIBFDT_SHIM_H

/* libfdt from Debian's libfdt-dev. Swift cannot import libfdt's function-like macros, so the few
 * that ckplan needs are wrapped here as static inline functions. Everything else (fdt_check_full,
 * fdt_getprop, fdt_first_subnode, ...) is a real exported function and imports directly. */
#include <libfdt.h>

/* fdt_totalsize(fdt) is a macro over the big-endian header field. */
static inline uint32_t ckplan_fdt_totalsize(const void *fdt) { return fdt_totalsize(fdt); }
/* fdt_magic(fdt) likewise. */
static inline uint32_t ckplan_fdt_magic(const void *fdt) { return fdt_magic(fdt); }
/* fdt_version(fdt) likewise. */
static inline uint32_t ckplan_fdt_version(const void *fdt) { return fdt_version(fdt); }

/* fdt_off_dt_struct(fdt): where the structure block starts; node and property offsets are
 * relative to it, and ckplan reports file byte offsets. */
static inline uint32_t ckplan_fdt_off_dt_struct(const void *fdt) { return fdt_off_dt_struct(fdt); }
/* fdt_size_dt_struct(fdt): the structure block's size (version 17 headers; fdt_pack keeps it). */
static inline uint32_t ckplan_fdt_size_dt_struct(const void *fdt) { return fdt_size_dt_struct(fdt); }
/* fdt_size_dt_strings(fdt): the strings block's size (version 3 headers on). */
static inline uint32_t ckplan_fdt_size_dt_strings(const void *fdt) { return fdt_size_dt_strings(fdt); }

/* fdt_off_dt_strings(fdt): where the strings block starts (its contents decide whether a new
 * property name costs bytes in the kexec DTB). */
static inline uint32_t ckplan_fdt_off_dt_strings(const void *fdt) { return fdt_off_dt_strings(fdt); }

#endif
