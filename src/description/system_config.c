/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reading a system description (docs/system-description.md): the file, its
 * document, the schema walk (sysconf_schema.c), paths made relative to the
 * file, the files it names, and the rules between fields and VMs
 * (sysconf_rules.c, sysconf_placement.c). Every check runs even after an
 * earlier one failed, so one pass shows every problem.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "sysconf_doc.h"
#include "sysconf_placement.h"
#include "sysconf_rules.h"
#include "sysconf_schema.h"
#include "sysconf_networks.h"
#include "sysconf_shared.h"
#include "sysconf_util.h"

static const char *const top_keys[] = {"system", "vms", "shared_regions", "networks", NULL};

/* ---- paths relative to the description ---- */

static const char *resolve(struct sysconf_walk *w, const char *base_dir, const char *p)
{
    if (p == NULL || base_dir == NULL || p[0] == '/' || p[0] == '\0')
        return p;
    size_t n = strlen(base_dir) + strlen(p) + 2;
    char *full = sysconf_arena_alloc(w->arena, n);
    if (full == NULL)
        return p;
    snprintf(full, n, "%s/%s", base_dir, p);
    return full;
}

static void resolve_vm_paths(struct sysconf_walk *w, const char *base_dir, struct sysconf_vm *vm)
{
    vm->kernel = resolve(w, base_dir, vm->kernel);
    vm->initramfs = resolve(w, base_dir, vm->initramfs);
    vm->serial_log = resolve(w, base_dir, vm->serial_log);
    vm->vsock_socket = resolve(w, base_dir, vm->vsock_socket);
    for (unsigned i = 0; i < vm->disk_count; i++) {
        vm->disks[i].path = resolve(w, base_dir, vm->disks[i].path);
        vm->disks[i].vhost_user = resolve(w, base_dir, vm->disks[i].vhost_user);
    }
    for (unsigned i = 0; i < vm->fs_count; i++)
        vm->filesystems[i].socket = resolve(w, base_dir, vm->filesystems[i].socket);
    for (unsigned i = 0; i < vm->net_count; i++)
        vm->nets[i].vhost_user = resolve(w, base_dir, vm->nets[i].vhost_user);
}

static void check_file(struct sysconf_walk *w, const char *path, const char *file, bool writable)
{
    struct stat st;

    if (file == NULL || strstr(file, SYSCONF_INSTANCE_MARK) != NULL)
        return; /* instance files are checked when the instance is made */
    if (stat(file, &st) != 0) {
        sysconf_walk_error(w, path, "%s: %s", file, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        sysconf_walk_error(w, path, "%s is a directory, not a file", file);
    } else if (access(file, writable ? R_OK | W_OK : R_OK) != 0) {
        sysconf_walk_error(w, path, "%s: cannot %s it: %s", file,
                           writable ? "read and write" : "read", strerror(errno));
    }
}

static void check_vm_files(struct sysconf_walk *w, const char *path, const struct sysconf_vm *vm)
{
    char sub[SYSCONF_PATH_MAX], item[SYSCONF_PATH_MAX];

    sysconf_path_key(sub, path, "kernel");
    check_file(w, sub, vm->kernel, false);
    sysconf_path_key(sub, path, "initramfs");
    check_file(w, sub, vm->initramfs, false);
    for (unsigned i = 0; i < vm->disk_count; i++) {
        sysconf_path_key(sub, path, "disks");
        sysconf_path_index(item, sub, i);
        sysconf_path_key(sub, item, "path");
        check_file(w, sub, vm->disks[i].path, !vm->disks[i].read_only);
    }
}

static int finish(struct sysconf_walk *w, struct sysconf *tmp, struct sysconf *out)
{
    if (w->failed) {
        sysconf_arena_free(tmp->arena);
        return -STDVMM_EINVAL;
    }
    *out = *tmp;
    return 0;
}

int sysconf_parse_system(const char *text, size_t len, enum sysconf_format fmt,
                         const char *base_dir, unsigned flags, struct sysconf *out,
                         struct sysconf_diags *diags)
{
    struct sysconf_doc doc;
    struct sysconf tmp = {0};
    struct sysconf_walk w = {.doc = &doc, .diags = diags, .arena = &tmp.arena};
    char p[SYSCONF_PATH_MAX];

    int r = sysconf_doc_parse(text, len, fmt, &doc, diags);
    if (r < 0)
        return r;
    if (!sysconf_expect_object(&w, doc.root, "")) {
        sysconf_doc_free(&doc);
        return finish(&w, &tmp, out);
    }
    sysconf_check_keys(&w, doc.root, "", top_keys);
    sysconf_walk_system(&w, doc.root, &tmp.system);

    const json_t *vms = json_object_get(doc.root, "vms");
    if (vms == NULL) {
        sysconf_walk_error(&w, "vms", "required list missing (the VM definitions)");
    } else if (!json_is_array(vms)) {
        sysconf_walk_error(&w, "vms", "expected a list of VM definitions, got %s",
                           sysconf_json_type_name(vms));
    } else if (json_array_size(vms) > SYSCONF_MAX_VMS) {
        sysconf_walk_error(&w, "vms", "%zu definitions; at most %d are supported",
                           json_array_size(vms), SYSCONF_MAX_VMS);
    } else if (json_array_size(vms) > 0) {
        tmp.vms = sysconf_arena_alloc(&tmp.arena, json_array_size(vms) * sizeof(*tmp.vms));
        if (tmp.vms == NULL) {
            sysconf_walk_error(&w, "vms", "out of memory");
        } else {
            for (size_t i = 0; i < json_array_size(vms); i++) {
                sysconf_path_index(p, "vms", i);
                sysconf_walk_vm(&w, json_array_get(vms, i), p, true, &tmp.vms[i]);
                resolve_vm_paths(&w, base_dir, &tmp.vms[i]);
                if (flags & SYSCONF_CHECK_FILES)
                    check_vm_files(&w, p, &tmp.vms[i]);
            }
            tmp.vm_count = (unsigned)json_array_size(vms);
        }
    }
    sysconf_walk_shared(&w, doc.root, &tmp);
    sysconf_walk_networks(&w, doc.root, &tmp);
    sysconf_check_rules(&w, &tmp);
    sysconf_check_placement(&w, &tmp);
    sysconf_doc_free(&doc);
    return finish(&w, &tmp, out);
}

int sysconf_parse_vm(const char *text, size_t len, enum sysconf_format fmt, const char *base_dir,
                     unsigned flags, struct sysconf *out, struct sysconf_diags *diags)
{
    struct sysconf_doc doc;
    struct sysconf tmp = {0};
    struct sysconf_walk w = {.doc = &doc, .diags = diags, .arena = &tmp.arena};

    int r = sysconf_doc_parse(text, len, fmt, &doc, diags);
    if (r < 0)
        return r;
    tmp.vms = sysconf_arena_alloc(&tmp.arena, sizeof(*tmp.vms));
    if (tmp.vms == NULL) {
        sysconf_doc_free(&doc);
        return -STDVMM_ENOMEM;
    }
    tmp.vm_count = 1;
    sysconf_walk_vm(&w, doc.root, "", false, &tmp.vms[0]);
    if (tmp.vms[0].name == NULL)
        tmp.vms[0].name = "vm";
    resolve_vm_paths(&w, base_dir, &tmp.vms[0]);
    if (flags & SYSCONF_CHECK_FILES)
        check_vm_files(&w, "", &tmp.vms[0]);
    for (unsigned i = 0; i < tmp.vms[0].net_count; i++) {
        char p[SYSCONF_PATH_MAX];
        if (tmp.vms[0].nets[i].network == NULL)
            continue;
        snprintf(p, sizeof(p), "nets[%u].network", i);
        sysconf_walk_error(&w, p,
                           "networks are a system description's (stdvmmd starts their "
                           "switch); here, vhost_user: SOCKET names a switch port");
    }
    sysconf_check_placement(&w, &tmp);
    sysconf_doc_free(&doc);
    return finish(&w, &tmp, out);
}

/* Reads a whole description file, refusing what cannot be one. */
static int read_text(const char *path, char **text, size_t *len, struct sysconf_diags *diags)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;

    if (fd < 0) {
        sysconf_diag_add(diags, "", 0, "cannot open: %s", strerror(errno));
        return -STDVMM_ENOENT;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        sysconf_diag_add(diags, "", 0, "not a regular file");
        close(fd);
        return -STDVMM_EINVAL;
    }
    if ((uint64_t)st.st_size > SYSCONF_MAX_FILE_SIZE) {
        sysconf_diag_add(diags, "", 0, "%lld bytes; a description may have at most %u",
                         (long long)st.st_size, SYSCONF_MAX_FILE_SIZE);
        close(fd);
        return -STDVMM_E2BIG;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf != NULL && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (buf == NULL || got != (size_t)st.st_size) {
        sysconf_diag_add(diags, "", 0, "cannot read: %s", buf ? strerror(errno) : "out of memory");
        free(buf);
        return -STDVMM_EIO;
    }
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return 0;
}

static enum sysconf_format format_of(const char *path)
{
    size_t n = strlen(path);
    return n > 5 && strcmp(path + n - 5, ".json") == 0 ? SYSCONF_FORMAT_JSON : SYSCONF_FORMAT_AUTO;
}

/* The directory part of path ("." for a bare file name), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

typedef int (*parse_fn)(const char *, size_t, enum sysconf_format, const char *, unsigned,
                        struct sysconf *, struct sysconf_diags *);

static int load(const char *path, unsigned flags, struct sysconf *out, struct sysconf_diags *diags,
                parse_fn parse)
{
    char *text, *dir;
    size_t len;
    int r = read_text(path, &text, &len, diags);

    if (r < 0)
        return r;
    dir = dir_of(path);
    if (dir == NULL) {
        free(text);
        return -STDVMM_ENOMEM;
    }
    r = parse(text, len, format_of(path), dir, flags, out, diags);
    free(dir);
    free(text);
    return r;
}

int sysconf_load_system(const char *path, unsigned flags, struct sysconf *out,
                        struct sysconf_diags *diags)
{
    return load(path, flags, out, diags, sysconf_parse_system);
}

int sysconf_load_vm(const char *path, unsigned flags, struct sysconf *out,
                    struct sysconf_diags *diags)
{
    return load(path, flags, out, diags, sysconf_parse_vm);
}

void sysconf_free(struct sysconf *cfg)
{
    sysconf_arena_free(cfg->arena);
    memset(cfg, 0, sizeof(*cfg));
}
