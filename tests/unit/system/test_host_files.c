/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Files the VMM keeps open on the host while a guest runs: the console log
 * (capped and rotated, never through a symlink) and the kernel and
 * initramfs images (read once, so the files may change under a running VM).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "console.h"
#include "stdvmm/backends/vsock_unix.h"
#include "stdvmm/error_report.h"
#include "stdvmm/host/linux.h"

struct dir {
    char path[64];
};

static int setup(void **state)
{
    struct dir *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return -1;
    snprintf(d->path, sizeof(d->path), "/tmp/stdvmm-files-XXXXXX");
    if (mkdtemp(d->path) == NULL)
        return -1;
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct dir *d = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
    int r = system(cmd);
    free(d);
    return r == 0 ? 0 : -1;
}

static off_t size_of(const char *dir, const char *name)
{
    char p[128];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return lstat(p, &st) == 0 ? st.st_size : -1;
}

/*
 * Issue #15: the console log grew without bound (a guest filled a 64 MiB
 * tmpfs in 36 ms). With the default cap, 17 MiB of output leave at most
 * 16 MiB in serial.log and the rest in serial.log.1.
 */
static void console_log_has_a_default_cap(void **state)
{
    struct dir *d = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/serial.log", d->path);
    /* No rate limit: this is about the cap alone. */
    struct vmm_config cfg = {
        .serial = VMM_SERIAL_FILE, .serial_path = path, .serial_rate = VMM_SERIAL_RATE_OFF};
    struct console c;
    assert_int_equal(console_open(&c, &cfg), 0);
    static uint8_t chunk[1 << 20];
    memset(chunk, 'g', sizeof(chunk));
    for (int i = 0; i < 17; i++)
        console_output(&c, chunk, sizeof(chunk));
    console_close(&c);
    assert_true(size_of(d->path, "serial.log") <= 16 << 20);
    assert_int_equal(size_of(d->path, "serial.log.1"), 16 << 20);
    assert_int_equal(size_of(d->path, "serial.log") + size_of(d->path, "serial.log.1"), 17 << 20);
}

/*
 * Issue #15: a guest could keep the VMM writing its console as fast as it
 * liked. At --serial-rate 10K a second's worth goes through, what comes
 * right after is dropped, and the next output admitted says how much (at
 * most once a second, or the notes would be what floods).
 */
static void console_rate_limit_drops_and_says_so(void **state)
{
    struct dir *d = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/serial.log", d->path);
    struct vmm_config cfg = {.serial = VMM_SERIAL_FILE, .serial_path = path, .serial_rate = 10240};
    struct console c;
    assert_int_equal(console_open(&c, &cfg), 0);
    static uint8_t chunk[10240];
    memset(chunk, 'g', sizeof(chunk));
    console_output(&c, chunk, sizeof(chunk)); /* the whole bucket */
    for (int i = 0; i < 10; i++)
        console_output(&c, chunk, 100); /* over: dropped */
    const struct timespec wait = {.tv_nsec = 50000000}; /* 512 bytes' worth */
    nanosleep(&wait, NULL);
    console_output(&c, (const uint8_t *)"end\n", 4);
    /* Another drop within the second: counted, no second note yet (one a second) but at the end. */
    console_output(&c, chunk, 600);
    console_output(&c, (const uint8_t *)"x", 1);
    console_close(&c);
    static const char note[] =
        "\r\n[stdvmm: 1000 bytes of console output dropped: over the rate limit]\r\nend\nx"
        "\r\n[stdvmm: 600 bytes of console output dropped: over the rate limit]\r\n";
    assert_int_equal(size_of(d->path, "serial.log"), 10240 + sizeof(note) - 1);
    char tail[sizeof(note)] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fseek(f, 10240, SEEK_SET), 0);
    assert_int_equal(fread(tail, 1, sizeof(note) - 1, f), sizeof(note) - 1);
    fclose(f);
    assert_string_equal(tail, note);
}

/*
 * A polling 8250 driver hands the console one byte per exit; batched (as
 * the VMM's main loop asks), bytes wait for a newline, a full buffer or a
 * flush and then go out in one write, in the order they came, and close
 * loses none. Unbatched, every byte goes out at once.
 */
static void console_batches_until_newline_or_flush(void **state)
{
    struct dir *d = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/serial.log", d->path);
    struct vmm_config cfg = {.serial = VMM_SERIAL_FILE, .serial_path = path};
    struct console c;
    assert_int_equal(console_open(&c, &cfg), 0);
    console_output(&c, (const uint8_t *)"u", 1);
    assert_int_equal(size_of(d->path, "serial.log"), 1); /* not batched yet */
    console_batch(&c);
    console_output(&c, (const uint8_t *)"a", 1);
    console_output(&c, (const uint8_t *)"b", 1);
    assert_int_equal(size_of(d->path, "serial.log"), 1);
    console_output(&c, (const uint8_t *)"c\n", 2);
    assert_int_equal(size_of(d->path, "serial.log"), 5);
    console_output(&c, (const uint8_t *)"d", 1);
    assert_int_equal(size_of(d->path, "serial.log"), 5);
    console_flush(&c);
    assert_int_equal(size_of(d->path, "serial.log"), 6);
    static uint8_t big[300];
    memset(big, 'g', sizeof(big));
    console_output(&c, (const uint8_t *)"e", 1);
    console_output(&c, big, sizeof(big)); /* over the buffer: "e" first, then this */
    assert_int_equal(size_of(d->path, "serial.log"), 7 + (off_t)sizeof(big));
    for (int i = 0; i < 256; i++)
        console_output(&c, (const uint8_t *)"f", 1); /* a full buffer goes out */
    assert_int_equal(size_of(d->path, "serial.log"), 7 + (off_t)sizeof(big) + 256);
    console_output(&c, (const uint8_t *)"z", 1);
    console_close(&c);
    assert_int_equal(size_of(d->path, "serial.log"), 8 + (off_t)sizeof(big) + 256);
    char got[16] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fread(got, 1, 8, f), 8);
    assert_int_equal(fseek(f, -2, SEEK_END), 0);
    assert_int_equal(fread(got + 8, 1, 2, f), 2);
    fclose(f);
    assert_string_equal(got, "uabc\ndegfz");
}

/*
 * The console's rate limit reads the coarse clock (a per-byte
 * clock_gettime system call was 4% of a boot in bench/profile). It must be
 * the monotonic clock a tick behind, never ahead of it and never another
 * clock: the limiter's start and its later readings share one timeline.
 */
static void coarse_clock_is_monotonic_behind(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        uint64_t coarse = host_clock_coarse_ns();
        uint64_t precise = host_clock_monotonic_ns();
        uint64_t again = host_clock_coarse_ns();
        assert_true(coarse <= precise);
        assert_true(coarse <= again);
    }
}

/* The newest output survives, one older file is kept, nothing beyond. */
static void rotation_keeps_the_newest_output(void **state)
{
    struct dir *d = *state;
    char path[128], buf[8192];
    snprintf(path, sizeof(path), "%s/con.log", d->path);
    struct host_rotlog l;
    assert_int_equal(host_rotlog_open(&l, path, 4096), 0);
    for (int i = 0; i < 30; i++) {
        char line[1000];
        memset(line, 'a' + i % 26, sizeof(line));
        host_rotlog_write(&l, line, sizeof(line));
    }
    host_rotlog_close(&l);
    assert_int_equal(size_of(d->path, "con.log.1"), 4096);
    off_t now = size_of(d->path, "con.log");
    assert_true(now > 0 && now <= 4096);
    assert_int_equal(size_of(d->path, "con.log.2"), -1);
    /* 30000 bytes: 7 full files of 4096, so the current one holds the last 1328. */
    assert_int_equal(now, 30000 - 7 * 4096);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    assert_int_equal(n, now);
    assert_int_equal(buf[n - 1], 'a' + 29 % 26);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

/* A jailed VMM's log starts over at its cap: no second file, the newest output kept. */
static void in_place_log_starts_over(void **state)
{
    struct dir *d = *state;
    char path[128], buf[8192];
    snprintf(path, sizeof(path), "%s/con.log", d->path);
    struct host_rotlog l;
    assert_int_equal(host_rotlog_open(&l, path, 4096), 0);
    host_rotlog_in_place(&l);
    for (int i = 0; i < 30; i++) {
        char line[1000];
        memset(line, 'a' + i % 26, sizeof(line));
        host_rotlog_write(&l, line, sizeof(line));
    }
    host_rotlog_close(&l);
    assert_int_equal(size_of(d->path, "con.log.1"), -1);
    assert_int_equal(size_of(d->path, "con.log"), 30000 - 7 * 4096);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    assert_int_equal(n, 30000 - 7 * 4096);
    assert_int_equal(buf[0], 'a' + 28 % 26); /* starts inside the 29th write */
    assert_int_equal(buf[n - 1], 'a' + 29 % 26);
}

/* Issue #15: a symlink planted as the log redirected the guest's bytes into its target. */
static void console_log_refuses_a_symlink(void **state)
{
    struct dir *d = *state;
    char path[128], target[128];
    snprintf(path, sizeof(path), "%s/serial.log", d->path);
    snprintf(target, sizeof(target), "%s/victim", d->path);
    int fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "keep", 4), 4);
    close(fd);
    assert_int_equal(symlink(target, path), 0);
    struct vmm_config cfg = {.serial = VMM_SERIAL_FILE, .serial_path = path};
    struct console c;
    int r = console_open(&c, &cfg);
    if (r == 0) {
        console_output(&c, (const uint8_t *)"guest", 5);
        console_close(&c);
    }
    assert_true(r < 0);
    assert_int_equal(size_of(d->path, "victim"), 4);
}

static void write_file(const char *path, char fill, size_t size)
{
    char *b = malloc(size);
    assert_non_null(b);
    memset(b, fill, size);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, size), (ssize_t)size);
    close(fd);
    free(b);
}

/*
 * Issue #15, item 5: the kernel was mapped MAP_PRIVATE and copied into the
 * guest again at every reboot, from pages that still followed the file:
 * replacing it in place tore the next boot, truncating it raised SIGBUS.
 */
static void image_is_read_once(void **state)
{
    struct dir *d = *state;
    char path[128];
    const size_t size = 256 * 1024;
    snprintf(path, sizeof(path), "%s/vmlinuz", d->path);
    write_file(path, 'K', size);
    struct host_file_image img;
    assert_int_equal(host_file_image_load(&img, path, "kernel"), 0);
    assert_int_equal(img.size, size);

    /* Rewritten in place (same inode), as a package upgrade's cp would do. */
    write_file(path, 'X', size);
    /* Then cut to nothing: a page still backed by the file would be SIGBUS here. */
    assert_int_equal(truncate(path, 0), 0);
    size_t kept = 0;
    for (size_t i = 0; i < size; i++)
        kept += img.data[i] == 'K';
    assert_int_equal(kept, size);
    host_file_image_release(&img);
}

/*
 * Opened before the jail and read after its fork: between the two the
 * image holds its file, not memory, and the read takes what was opened
 * even when another file has been renamed over the path meanwhile.
 */
static void image_opened_then_read_is_the_opened_file(void **state)
{
    struct dir *d = *state;
    char path[128], other[128];
    const size_t size = 64 * 1024;
    snprintf(path, sizeof(path), "%s/vmlinuz", d->path);
    snprintf(other, sizeof(other), "%s/vmlinuz.new", d->path);
    write_file(path, 'K', size);
    write_file(other, 'N', 2 * size);
    struct host_file_image img;
    assert_int_equal(host_file_image_open(&img, path, "kernel"), 0);
    assert_null(img.data);
    assert_int_equal(img.size, size);
    assert_int_equal(rename(other, path), 0);

    assert_int_equal(host_file_image_read(&img), 0);
    assert_non_null(img.data);
    assert_int_equal(img.size, size);
    size_t kept = 0;
    for (size_t i = 0; i < size; i++)
        kept += img.data[i] == 'K';
    assert_int_equal(kept, size);
    host_file_image_release(&img);
    assert_null(img.data);
}

/* An image opened and never read (the VMM failed in between) gives its descriptor back. */
static void image_opened_and_released_closes_its_file(void **state)
{
    struct dir *d = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/initrd", d->path);
    write_file(path, 'I', 4096);
    struct host_file_image img;
    assert_int_equal(host_file_image_open(&img, path, "initramfs"), 0);
    int fd = img.fd;
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFD) >= 0);
    host_file_image_release(&img);
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    assert_int_equal(errno, EBADF);
    /* A second release, as vmm_run's exit path does after a no_reboot release, is harmless. */
    host_file_image_release(&img);
}

static void empty_or_missing_image_is_refused(void **state)
{
    struct dir *d = *state;
    char path[128];
    struct host_file_image img;
    snprintf(path, sizeof(path), "%s/empty", d->path);
    write_file(path, 0, 0);
    assert_true(host_file_image_load(&img, path, "kernel") < 0);
    snprintf(path, sizeof(path), "%s/missing", d->path);
    assert_true(host_file_image_load(&img, path, "initramfs") < 0);
}

/* Issue #15: the manager took any existing state directory, or a symlink, as its own. */
/* A huge page of the host can back a huge page of the guest only from a 2 MiB boundary. */
static void guest_ram_is_2mib_aligned(void **state)
{
    int fd = -1;

    (void)state;
    for (uint64_t size = 2ull << 20; size <= 66ull << 20; size += 32ull << 20) {
        uint8_t *p = host_guest_ram_alloc(size);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % (2u << 20), 0);
        p[0] = 1;
        p[size - 1] = 2; /* the whole size is usable */
        host_guest_ram_free(p, size);
        p = host_guest_ram_alloc_shared(size, "t", &fd);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % (2u << 20), 0);
        p[size - 1] = 3;
        host_guest_ram_free(p, size);
        close(fd);
    }
}

static void state_dir_must_be_private(void **state)
{
    struct dir *d = *state;
    char sub[128], link[128], file[128];
    struct stdvmm_error err;

    snprintf(sub, sizeof(sub), "%s/state", d->path);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(host_check_private_dir(sub, &err), 0);
    assert_int_equal(chmod(sub, 0755), 0); /* readable is fine */
    assert_int_equal(host_check_private_dir(sub, &err), 0);
    assert_int_equal(chmod(sub, 0777), 0);
    assert_true(host_check_private_dir(sub, &err) < 0);
    assert_non_null(strstr(err.msg, "writable by everyone"));
    assert_int_equal(chmod(sub, 0770), 0);
    assert_true(host_check_private_dir(sub, &err) < 0);
    assert_non_null(strstr(err.msg, "its group"));
    assert_int_equal(chmod(sub, 0700), 0);
    snprintf(link, sizeof(link), "%s/link", d->path);
    assert_int_equal(symlink(sub, link), 0);
    assert_true(host_check_private_dir(link, &err) < 0);
    assert_non_null(strstr(err.msg, "symbolic link"));
    snprintf(file, sizeof(file), "%s/file", d->path);
    write_file(file, 'x', 1);
    assert_true(host_check_private_dir(file, &err) < 0);
    assert_non_null(strstr(err.msg, "not a directory"));
    snprintf(file, sizeof(file), "%s/missing", d->path);
    assert_true(host_check_private_dir(file, &err) < 0);
    if (geteuid() != 0) {
        /* Another user's directory: /, owned by root. */
        assert_true(host_check_private_dir("/", &err) < 0);
        assert_non_null(strstr(err.msg, "belongs to uid 0"));
    }
}

/* Sockets were chmod'ed by path after bind: 0600 from the start, whatever the umask. */
static void socket_is_private_from_bind(void **state)
{
    struct dir *d = *state;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/api.sock", d->path);
    mode_t old = umask(0);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(host_bind_private(fd, &addr), 0);
    assert_int_equal(umask(old), 0); /* put back as it was */
    struct stat st;
    assert_int_equal(lstat(addr.sun_path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    close(fd);
}

/*
 * Issue #15: the vsock socket was bound with no chmod at all, so its mode
 * came from the umask; under umask 0 any local user could reach the
 * guest's vsock ports through it.
 */
static void vsock_socket_is_private(void **state)
{
    struct dir *d = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/vsock.sock", d->path);
    mode_t old = umask(0);
    struct vsock_unix *v = calloc(1, sizeof(*v));
    assert_non_null(v);
    int r = vsock_unix_open(v, path);
    umask(old);
    assert_int_equal(r, 0);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    vsock_unix_close(v);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(console_log_has_a_default_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(console_rate_limit_drops_and_says_so, setup, teardown),
        cmocka_unit_test_setup_teardown(console_batches_until_newline_or_flush, setup, teardown),
        cmocka_unit_test(coarse_clock_is_monotonic_behind),
        cmocka_unit_test_setup_teardown(rotation_keeps_the_newest_output, setup, teardown),
        cmocka_unit_test_setup_teardown(in_place_log_starts_over, setup, teardown),
        cmocka_unit_test_setup_teardown(console_log_refuses_a_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(image_is_read_once, setup, teardown),
        cmocka_unit_test_setup_teardown(image_opened_then_read_is_the_opened_file, setup, teardown),
        cmocka_unit_test_setup_teardown(image_opened_and_released_closes_its_file, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_or_missing_image_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(guest_ram_is_2mib_aligned, setup, teardown),
        cmocka_unit_test_setup_teardown(state_dir_must_be_private, setup, teardown),
        cmocka_unit_test_setup_teardown(socket_is_private_from_bind, setup, teardown),
        cmocka_unit_test_setup_teardown(vsock_socket_is_private, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
