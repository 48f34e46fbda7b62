// SPDX-License-Identifier: GPL-2.0-or-later
/* Candidates both programs' shell completion offers: profile names, PCI addresses, fixed words. */
#include "complete.h"
#include "pci.h"

void complete_offer(const char *word, const char *cur)
{
	if (startswith(word, cur) && !word[strcspn(word, " \t\n\r")])
		printf("%s\n", word);
}

void complete_ini_stems(const char *dir, const char *cur)
{
	struct dirent **names = NULL;
	int n = dir ? scandir(dir, &names, NULL, alphasort) : -1;

	for (int i = 0; i < n; i++) {
		const char *e = names[i]->d_name;
		size_t len = strlen(e);

		if (len > 4 && e[0] != '.' && streq(e + len - 4, ".ini")) {
			_cleanup_free_ char *stem = xstrndup(e, len - 4);
			complete_offer(stem, cur);
		}
		free(names[i]);
	}
	free(names);
}

void complete_pci(const char *root, const char *cur)
{
	struct pci_host pci;

	if (pci_host_scan_ids(root, &pci) < 0)
		return;
	for (size_t i = 0; i < pci.n; i++) {
		char a[16];
		pci_addr_fmt(&pci.dev[i].addr, a, sizeof(a));
		complete_offer(startswith(a, "0000:") ? a + 5 : a, cur);
	}
	pci_host_free(&pci);
}

void complete_words_of(const char *words, const char *cur)
{
	for (const char *w = words; w && *w;) {
		size_t len = strcspn(w, "|");
		_cleanup_free_ char *one = xstrndup(w, len);

		complete_offer(one, cur);
		w += len + (w[len] == '|');
	}
}
