// SPDX-License-Identifier: GPL-2.0-or-later
/* A longest-common-subsequence line diff printed in unified format; inputs are config files. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "udiff.h"
#include "util.h"

struct line {
	const char *s;
	size_t len; /* without the newline */
	int nl;     /* ends with a newline */
};

static int split_lines(const char *s, size_t len, struct line **ret, size_t *ret_n)
{
	size_t n = 0, cap = 16;
	struct line *v = xmalloc(cap * sizeof(*v));
	const char *end = s ? s + len : NULL;

	for (const char *p = s; p && p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));

		if (n == UDIFF_MAX_LINES) {
			free(v);
			return -E2BIG;
		}
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		v[n].s = p;
		v[n].len = e ? (size_t)(e - p) : (size_t)(end - p);
		v[n].nl = e != NULL;
		n++;
		p = e ? e + 1 : end;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int line_eq(const struct line *x, const struct line *y)
{
	return x->len == y->len && x->nl == y->nl && memcmp(x->s, y->s, x->len) == 0;
}

struct op {
	char kind; /* ' ', '-', '+' */
	size_t ai, bi; /* line index in a (for ' ', '-') and b (for ' ', '+') */
};

static void print_line(FILE *out, char kind, const struct line *l)
{
	fputc(kind, out);
	fwrite(l->s, 1, l->len, out);
	fputc('\n', out);
	if (!l->nl)
		fputs("\\ No newline at end of file\n", out);
}

static void print_range(FILE *out, char sign, size_t start, size_t count)
{
	/* GNU diff: an empty range names the line before it. */
	if (count == 0)
		fprintf(out, "%c%zu,0", sign, start);
	else if (count == 1)
		fprintf(out, "%c%zu", sign, start + 1);
	else
		fprintf(out, "%c%zu,%zu", sign, start + 1, count);
}

int udiff(FILE *out, const char *a_label, const char *a, size_t alen, const char *b_label,
	  const char *b, size_t blen)
{
	_cleanup_free_ struct line *la = NULL, *lb = NULL;
	_cleanup_free_ uint32_t *t = NULL;
	_cleanup_free_ struct op *ops = NULL;
	size_t na, nb, pre = 0, suf = 0, n_ops = 0, ma, mb;
	int r;

	r = split_lines(a, alen, &la, &na);
	if (r < 0)
		return r;
	r = split_lines(b, blen, &lb, &nb);
	if (r < 0)
		return r;
	if (na == nb && (!a) == (!b)) {
		size_t i = 0;
		while (i < na && line_eq(&la[i], &lb[i]))
			i++;
		if (i == na)
			return 0;
	}

	while (pre < na && pre < nb && line_eq(&la[pre], &lb[pre]))
		pre++;
	while (suf < na - pre && suf < nb - pre && line_eq(&la[na - 1 - suf], &lb[nb - 1 - suf]))
		suf++;
	ma = na - pre - suf;
	mb = nb - pre - suf;
	if ((uint64_t)(ma + 1) * (mb + 1) > 64u * 1024 * 1024)
		return -E2BIG;

	/* t[i][j]: LCS length of a[pre+i..] and b[pre+j..] within the middle part. */
	t = xcalloc((ma + 1) * (mb + 1), sizeof(*t));
#define T(i, j) t[(i) * (mb + 1) + (j)]
	for (size_t i = ma; i-- > 0;)
		for (size_t j = mb; j-- > 0;)
			T(i, j) = line_eq(&la[pre + i], &lb[pre + j]) ?
					  T(i + 1, j + 1) + 1 :
					  (T(i + 1, j) >= T(i, j + 1) ? T(i + 1, j) : T(i, j + 1));

	ops = xmalloc((na + nb + 1) * sizeof(*ops));
	for (size_t i = 0; i < pre; i++)
		ops[n_ops++] = (struct op){ ' ', i, i };
	{
		size_t i = 0, j = 0;
		while (i < ma || j < mb) {
			if (i < ma && j < mb && line_eq(&la[pre + i], &lb[pre + j])) {
				ops[n_ops++] = (struct op){ ' ', pre + i, pre + j };
				i++, j++;
			} else if (j < mb && (i == ma || T(i, j + 1) >= T(i + 1, j))) {
				/* GNU order: deletions before insertions within a change. */
				if (i < ma && T(i + 1, j) == T(i, j + 1)) {
					ops[n_ops++] = (struct op){ '-', pre + i, pre + j };
					i++;
				} else {
					ops[n_ops++] = (struct op){ '+', pre + i, pre + j };
					j++;
				}
			} else {
				ops[n_ops++] = (struct op){ '-', pre + i, pre + j };
				i++;
			}
		}
	}
#undef T
	for (size_t k = 0; k < suf; k++)
		ops[n_ops++] = (struct op){ ' ', na - suf + k, nb - suf + k };

	fprintf(out, "--- %s\n+++ %s\n", a ? a_label : "/dev/null", b ? b_label : "/dev/null");

	/* Hunks: runs of changes joined when at most 6 context lines apart. */
	for (size_t k = 0; k < n_ops;) {
		size_t first, last, s, e, ca = 0, cb = 0, a0, b0;

		while (k < n_ops && ops[k].kind == ' ')
			k++;
		if (k == n_ops)
			break;
		first = k;
		last = k;
		for (size_t m = k + 1; m < n_ops; m++) {
			if (ops[m].kind == ' ')
				continue;
			if (m - last > 7)
				break;
			last = m;
		}
		s = first >= 3 ? first - 3 : 0;
		e = last + 3 < n_ops - 1 ? last + 3 : n_ops - 1;
		a0 = ops[s].ai;
		b0 = ops[s].bi;
		for (size_t m = s; m <= e; m++) {
			if (ops[m].kind != '+')
				ca++;
			if (ops[m].kind != '-')
				cb++;
		}
		fputs("@@ ", out);
		print_range(out, '-', ca ? a0 : (a0 ? a0 : 0), ca);
		fputc(' ', out);
		print_range(out, '+', cb ? b0 : (b0 ? b0 : 0), cb);
		fputs(" @@\n", out);
		for (size_t m = s; m <= e; m++) {
			if (ops[m].kind == '+')
				print_line(out, '+', &lb[ops[m].bi]);
			else
				print_line(out, ops[m].kind, &la[ops[m].ai]);
		}
		k = e + 1;
	}
	return 0;
}
