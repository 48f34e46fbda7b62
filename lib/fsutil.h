/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Safe file writes shared by both programs: atomic replace, no symlink ever followed. */
#pragma once

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "strv.h"

/* Largest file the helpers below will read into memory. */
#define FSUTIL_MAX_FILE (16u * 1024 * 1024)

/* "Leave as it is" for the owner arguments of write_file_atomic_owned(). */
#define FSUTIL_KEEP_ID ((unsigned)-1)

/* Writes @data to @path atomically: a temporary file in the same directory (O_CLOEXEC|O_EXCL),
 * fsync, rename over @path, fsync of the directory. A reader sees the old or the new content,
 * never a mix. An existing symlink at @path is refused with -ELOOP, a directory with -EISDIR,
 * anything else that is not a regular file (a FIFO, socket or device) with -EINVAL. @mode is applied exactly (umask does not apply).
 * Returns 0 or -errno; on failure @path is untouched and no temporary file is left. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Same, but never over anything at @path: -EEXIST, also when it appears while the file is
 * written (renameat2 RENAME_NOREPLACE, or link() where the file system lacks it). */
int write_file_new(const char *path, const void *data, size_t len, mode_t mode);

/* Same as write_file_atomic, and the new file gets @uid/@gid (FSUTIL_KEEP_ID: the creator's). */
int write_file_atomic_owned(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
			    gid_t gid);

/* Copies @src to @dst with write_file_atomic(): @dst is never followed through a symlink;
 * @src is, as it is only read (a template a distribution links, as Debian links its OVMF
 * files), and must be a regular file in the end. */
int copy_file_atomic(const char *src, const char *dst, mode_t mode);

/* Reads a whole regular file (at most FSUTIL_MAX_FILE bytes) without following a symlink at
 * @path. The buffer is NUL-terminated (not counted in *ret_len). -ENOENT when missing, -ELOOP
 * for a symlink, -EFBIG when too large. */
int read_file_full(const char *path, char **ret, size_t *ret_len);

/* Removes a regular file (never a symlink's target) and fsyncs its directory. -ENOENT when
 * missing, -ELOOP when @path is a symlink. */
int remove_file_durable(const char *path);

/* lstat() classification: 0 missing, 1 regular file, -ELOOP symlink, -EINVAL anything else
 * (-errno for other errors). */
int file_kind(const char *path);

/*
 * The same operations beneath a directory: @rel is taken relative to the directory @root_fd
 * (a leading '/' is ignored: "/etc/x" is ROOT/etc/x) and resolved one component at a time with
 * openat(O_NOFOLLOW|O_DIRECTORY), so that no symlink is followed anywhere on the way, not only
 * in the last component, and the walk cannot leave @root_fd ("." and ".." are -EINVAL).
 * A symlink on the way is -ELOOP, a component that is not a directory -ENOTDIR; in both cases
 * *@ret_where (when @ret_where is not NULL) gets the offending path in the form of @rel, e.g.
 * "/etc/modprobe.d". Files are written as write_file_atomic_owned() does, with the temporary
 * file and the rename in the parent's descriptor, which is then fsynced.
 */

/* lstat() of @rel: 1 and *@ret_st when it exists, 0 when it or a parent is missing. */
int lstat_beneath(int root_fd, const char *rel, struct stat *ret_st, char **ret_where);
/* *@ret_st (when not NULL) gets the fstat() of the file that was read: its mode and owner
 * belong to that content, whatever has been renamed over @rel since. */
int read_file_beneath(int root_fd, const char *rel, char **ret, size_t *ret_len, struct stat *ret_st);
/* The parent directory of @rel must exist. */
int write_file_beneath(int root_fd, const char *rel, const void *data, size_t len, mode_t mode, uid_t uid,
		       gid_t gid);
int remove_file_beneath(int root_fd, const char *rel);
/* mkdir -p: each missing directory is made with @mode and, when @ret_created is not NULL,
 * pushed onto it (outermost first, in the form "/a/b"). */
int mkdir_beneath(int root_fd, const char *rel, mode_t mode, struct strv *ret_created, char **ret_where);
/* Removes the directory @rel when it is empty (-ENOTEMPTY otherwise), fsyncs its parent. */
int rmdir_beneath(int root_fd, const char *rel);
/* Opens the directory @rel (O_RDONLY|O_DIRECTORY|O_CLOEXEC) into *@ret_fd. */
int open_dir_beneath(int root_fd, const char *rel, int *ret_fd, char **ret_where);

/* The last component of the link @name (relative to @dfd, or AT_FDCWD) into @buf: a device's
 * driver → ".../drivers/vfio-pci" gives "vfio-pci". The kernel's links are enough to name their
 * target; nothing is resolved further. 0 or -errno (-ENAMETOOLONG when @len is too small). */
int read_link_name_at(int dfd, const char *name, char *buf, size_t len);
