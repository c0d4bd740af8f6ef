/* SPDX-License-Identifier: MIT */
#pragma once

/* Drop-ins we write ourselves (SetProperties(), workerpoolctl set-property):
 * the text of an INI file edited one assignment at a time. Pure: no I/O. */

/* Replace (or add) Key=value in the [section] of a drop-in we manage, given
 * its old text (NULL: none). Lines we did not write are kept as they are.
 * Returns the new text in *ret (malloc'd). */
int dropin_text_set(const char *old, const char *section, const char *key, const char *value,
                    char **ret);
