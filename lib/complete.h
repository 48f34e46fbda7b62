/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Candidates for shell completion, one a line on stdout, the ones that start with what is typed. */
#pragma once

#include "util.h"

/* @word when it starts with @cur and holds no blank (it would split into two). */
void complete_offer(const char *word, const char *cur);
/* The stems of the *.ini files in @dir (NULL: none): profile names. */
void complete_ini_stems(const char *dir, const char *cur);
/* The PCI addresses under @root, without the 0000: domain. */
void complete_pci(const char *root, const char *cur);
/* The words of @words, separated by '|'. */
void complete_words_of(const char *words, const char *cur);
