// SPDX-License-Identifier: GPL-2.0-or-later
/* make bench's driver: runs each command given (argv words, commands separated by "--") once
 * per round for N rounds, interleaved, and prints "INDEX NANOSECONDS MAXRSS_KB EXITCODE" per run.
 * A small C process, so that neither its spawn cost nor its memory shows in the children's. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv)
{
	char **cmd[64];
	int ncmd = 0, rounds;
	posix_spawn_file_actions_t fa;

	if (argc < 3 || (rounds = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: spawn ROUNDS CMD... [-- CMD...]...\n");
		return 2;
	}
	cmd[ncmd++] = &argv[2];
	for (int i = 2; i < argc && ncmd < 64; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			cmd[ncmd++] = &argv[i + 1];
		}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (int r = 0; r < rounds; r++)
		for (int c = 0; c < ncmd; c++) {
			struct timespec a, b;
			struct rusage ru;
			pid_t pid;
			int status;

			clock_gettime(CLOCK_MONOTONIC, &a);
			if (posix_spawn(&pid, cmd[c][0], &fa, NULL, cmd[c], environ) != 0) {
				perror(cmd[c][0]);
				return 1;
			}
			if (wait4(pid, &status, 0, &ru) < 0) {
				perror("wait4");
				return 1;
			}
			clock_gettime(CLOCK_MONOTONIC, &b);
			printf("%d %lld %ld %d\n", c,
			       (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
			       ru.ru_maxrss,
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
	return 0;
}
