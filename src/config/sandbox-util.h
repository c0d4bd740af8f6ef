/* SPDX-License-Identifier: MIT */
#pragma once

/* Names and values of the [Sandbox] settings that are not system calls:
 * capabilities (CapabilityBoundingSet=, AmbientCapabilities=) and resource
 * limits (Limit*=), with systemd's spellings. Pure functions. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#define CAPABILITY_SET_ALL UINT64_MAX

/* "CAP_CHOWN" (or "cap_chown") -> 0; -EINVAL if unknown. */
int capability_from_name(const char *s);
const char *capability_to_name(int cap);   /* NULL if unknown */

/* One CapabilityBoundingSet=/AmbientCapabilities= line: space-separated
 * names, the whole list optionally prefixed with "~" (all but these).
 * *ret_mask gets the listed caps, *ret_invert whether "~" was given.
 * -EINVAL: an unknown name. */
int capability_set_parse(const char *s, uint64_t *ret_mask, bool *ret_invert);

/* "LimitNOFILE" -> RLIMIT_NOFILE, -EINVAL if not a Limit*= key. */
int rlimit_from_key(const char *key);
const char *rlimit_to_key(int resource);   /* NULL if none */

/* A Limit*= value: "SOFT:HARD" or "VALUE" (both), each a number or
 * "infinity", in the unit of the resource as systemd.exec(5) says: bytes
 * with K/M/G/T/P/E suffixes (base 1024) for sizes, a time span for LimitCPU=
 * (rounded up to seconds) and LimitRTTIME= (usec), "+N"/"-N" nice levels or a
 * raw 0..40 for LimitNICE=, plain numbers otherwise. -EINVAL bad syntax,
 * -ERANGE soft above hard or out of range. */
int rlimit_parse(int resource, const char *s, struct rlimit *ret);
