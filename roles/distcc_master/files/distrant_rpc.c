/* distrant.distcc: distcc's pump-mode conversations through buffers.
 *
 * Included at the end of distcc's src/clirpc.c by the distcc_master role, which renames
 * distcc's own dcc_x_many_files and dcc_x_argv to *_unbuffered, and makes
 * src/include_server_if.c read the include server's answer with distrant_r_argv. The
 * client and the include server's C extension are both built from that source.
 *
 * In pump mode a compile's client asks the include server for the include closure and
 * sends it to the worker: a few hundred small files (about 700 for a Linux object), each as
 * NAME <name> FILE <size> <content> or NAME <name> LINK <target>. distcc 3.4 writes each
 * token, each name and each content with a write() or sendfile() of its own, after an
 * lstat, an open and an fstat: about eleven system calls per file. The include server's
 * answer, the list of those files (ARGC <n>, then ARGV <name> each), costs it one write()
 * per token and per name, and the client two read()s per name. Here:
 * - dcc_x_many_files: a file costs lstat, open, read and close, and the buffer goes out
 *   when full;
 * - dcc_x_argv (the client's command line to the include server and to the worker, the
 *   include server's answer): one write() for the whole list;
 * - distrant_r_argv (the client reading that answer): read()s of up to 64 KB.
 * The bytes on the wire are the same, in the same order. DISTRANT_DISTCC_UNBUFFERED=1 in the
 * environment (of the client, of the include server) runs distcc's own functions instead: to
 * measure what the buffers save, or to rule them out.
 */

static int distrant_unbuffered(void)
{
    static int answer = -1;
    const char *value;

    if (answer < 0) {
        value = getenv("DISTRANT_DISTCC_UNBUFFERED");
        answer = value != NULL && *value != '\0' && strcmp(value, "0") != 0;
    }
    return answer;
}

#define DISTRANT_OUT_BUFSIZE (256 * 1024)

struct distrant_out {
    int fd;
    size_t used;
    char data[DISTRANT_OUT_BUFSIZE];
};

/* One buffer per direction, reused by every call: neither side is re-entrant (the client is
 * one thread; the include server's C extension runs under Python's global lock and never
 * releases it), so an allocation and a free on every call (256 KB out, 64 KB in) are work the
 * hot path need not do. */
static struct distrant_out distrant_out_buffer;

static struct distrant_out *distrant_out_start(int fd)
{
    distrant_out_buffer.fd = fd;
    distrant_out_buffer.used = 0;
    return &distrant_out_buffer;
}

static int distrant_out_flush(struct distrant_out *b)
{
    int ret = 0;

    if (b->used > 0)
        ret = dcc_writex(b->fd, b->data, b->used);
    b->used = 0;
    return ret;
}

static int distrant_out_add(struct distrant_out *b, const void *data, size_t len)
{
    int ret;

    if (len > sizeof b->data - b->used && (ret = distrant_out_flush(b)))
        return ret;
    if (len > sizeof b->data)
        return dcc_writex(b->fd, data, len);
    memcpy(b->data + b->used, data, len);
    b->used += len;
    return 0;
}

/* A token: four letters and the parameter in eight hex digits (rpc.c's dcc_x_token_int). */
static int distrant_out_token(struct distrant_out *b, const char *token, unsigned param)
{
    static const char hex[] = "0123456789abcdef";
    char word[12];
    int i;

    memcpy(word, token, 4);
    for (i = 0; i < 8; i++)
        word[4 + i] = hex[(param >> (28 - 4 * i)) & 0xf];
    return distrant_out_add(b, word, sizeof word);
}

/* A token whose parameter is the length of the string that follows (dcc_x_token_string). */
static int distrant_out_string(struct distrant_out *b, const char *token, const char *s)
{
    size_t len = strlen(s);
    int ret;

    if ((ret = distrant_out_token(b, token, (unsigned) len)))
        return ret;
    return distrant_out_add(b, s, len);
}

/* FILE <size> and the content of fname, whose size lstat gave. */
static int distrant_out_file(struct distrant_out *b, const char *fname, off_t size)
{
    size_t want = (size_t) size, done = 0;
    ssize_t got;
    int ifd, ret;

    if ((ifd = open(fname, O_RDONLY)) == -1) {
        rs_log_error("failed to open %s: %s", fname, strerror(errno));
        return EXIT_IO_ERROR;
    }
    if ((ret = distrant_out_token(b, "FILE", (unsigned) want)))
        goto out;
    if (want > sizeof b->data - b->used && (ret = distrant_out_flush(b)))
        goto out;
    if (want > sizeof b->data) {  /* larger than the buffer: from the file to the socket */
        ret = dcc_pump_readwrite(b->fd, ifd, want);
        goto out;
    }
    while (done < want) {
        got = read(ifd, b->data + b->used + done, want - done);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0) {
            rs_log_error("failed to read %s (%lu of %lu bytes): %s", fname, (unsigned long) done,
                         (unsigned long) want, got == 0 ? "it shrank" : strerror(errno));
            ret = EXIT_IO_ERROR;
            goto out;
        }
        done += (size_t) got;
    }
    b->used += done;
  out:
    close(ifd);
    return ret;
}

/* NFIL <n>, then each file of the include server's list under its original name (symbolic
 * links as LINK). */
int dcc_x_many_files(int ofd, unsigned int n_files, char **fnames)
{
    char target[MAXPATHLEN + 1];
    struct distrant_out *b;
    char *original;
    struct stat st;
    int ret;

    if (distrant_unbuffered())
        return dcc_x_many_files_unbuffered(ofd, n_files, fnames);
    b = distrant_out_start(ofd);
    ret = distrant_out_token(b, "NFIL", n_files);
    for (; ret == 0 && *fnames != NULL; ++fnames) {
        if ((ret = dcc_get_original_fname(*fnames, &original)))
            break;
        if (lstat(*fnames, &st) == -1) {
            rs_log_error("stat '%s' failed: %s", *fnames, strerror(errno));
            ret = EXIT_IO_ERROR;
        } else if (S_ISLNK(st.st_mode)) {
            if ((ret = dcc_read_link(*fnames, target)) == 0 &&
                (ret = distrant_out_string(b, "NAME", original)) == 0)
                ret = distrant_out_string(b, "LINK", target);
        } else if ((ret = distrant_out_string(b, "NAME", original)) == 0) {
            ret = distrant_out_file(b, *fnames, st.st_size);
        }
        free(original);
    }
    if (ret == 0)
        ret = distrant_out_flush(b);
    return ret;
}

/* ARGC <n>, then ARGV <word> for each word, in one write() (distcc's dcc_x_argv). */
int dcc_x_argv(int fd, const char *argc_token, const char *argv_token, char **argv)
{
    struct distrant_out *b;
    int argc = dcc_argv_len(argv), i, ret;

    if (distrant_unbuffered())
        return dcc_x_argv_unbuffered(fd, argc_token, argv_token, argv);
    b = distrant_out_start(fd);
    ret = distrant_out_token(b, argc_token, (unsigned) argc);
    for (i = 0; ret == 0 && i < argc; i++)
        ret = distrant_out_string(b, argv_token, argv[i]);
    if (ret == 0)
        ret = distrant_out_flush(b);
    return ret;
}

#define DISTRANT_IN_BUFSIZE (64 * 1024)

struct distrant_in {
    int fd;
    size_t start, end;
    char data[DISTRANT_IN_BUFSIZE];
};

static struct distrant_in distrant_in_buffer;

/* At least need (<= the buffer's size) bytes in the buffer; reads only what is missing, as
 * much as has come (the include server sends nothing after its answer). */
static int distrant_in_fill(struct distrant_in *b, size_t need)
{
    ssize_t got;
    int ret;

    if (b->end - b->start >= need)
        return 0;
    memmove(b->data, b->data + b->start, b->end - b->start);
    b->end -= b->start;
    b->start = 0;
    while (b->end < need) {
        got = read(b->fd, b->data + b->end, sizeof b->data - b->end);
        if (got == -1 && errno == EAGAIN) {
            if ((ret = dcc_select_for_read(b->fd, dcc_get_io_timeout())))
                return ret;
        } else if (got == -1 && errno == EINTR) {
            continue;
        } else if (got == -1) {
            rs_log_error("failed to read: %s", strerror(errno));
            return EXIT_IO_ERROR;
        } else if (got == 0) {
            rs_log_error("unexpected eof on fd%d", b->fd);
            return EXIT_TRUNCATED;
        } else {
            b->end += (size_t) got;
        }
    }
    return 0;
}

/* A token and its parameter (rpc.c's dcc_r_token_int). */
static int distrant_in_token(struct distrant_in *b, const char *expected, unsigned *val)
{
    char word[13], *end;
    int ret;

    if ((ret = distrant_in_fill(b, 12))) {
        rs_log_error("read failed while waiting for token \"%s\"", expected);
        return ret;
    }
    memcpy(word, b->data + b->start, 12);
    word[12] = '\0';
    b->start += 12;
    if (memcmp(word, expected, 4)) {
        rs_log_error("protocol derailment: expected token \"%s\", got \"%s\"", expected, word);
        return EXIT_PROTOCOL_ERROR;
    }
    *val = strtoul(word + 4, &end, 16);
    if (end != word + 12) {
        rs_log_error("failed to parse parameter of token \"%s\": \"%s\"", expected, word);
        return EXIT_PROTOCOL_ERROR;
    }
    return 0;
}

/* len bytes into a new string (rpc.c's dcc_r_str_alloc); a string longer than the buffer
 * takes what the buffer holds, then the rest straight from the socket. */
static int distrant_in_string(struct distrant_in *b, unsigned len, char **out)
{
    size_t have, want = len;
    char *s;
    int ret;

    if ((s = *out = malloc(want + 1)) == NULL) {
        rs_log_error("failed to allocate %lu bytes", (unsigned long) want + 1);
        return EXIT_OUT_OF_MEMORY;
    }
    if (want <= sizeof b->data) {
        if ((ret = distrant_in_fill(b, want)))
            return ret;
        have = want;
    } else {
        have = b->end - b->start;
    }
    memcpy(s, b->data + b->start, have);
    b->start += have;
    if (have < want && (ret = dcc_readx(b->fd, s + have, want - have)))
        return ret;
    s[want] = '\0';
    return 0;
}

/* An argv-type vector, as rpc.c's dcc_r_argv reads it, in read()s of up to 64 KB: for the
 * include server's answer, the last thing on its socket. */
int distrant_r_argv(int ifd, const char *argc_token, const char *argv_token, char ***argv)
{
    struct distrant_in *b;
    unsigned argc, i, len;
    char **a;
    int ret;

    if (distrant_unbuffered())
        return dcc_r_argv(ifd, argc_token, argv_token, argv);
    *argv = NULL;
    b = &distrant_in_buffer;
    b->fd = ifd;
    b->start = b->end = 0;
    if ((ret = distrant_in_token(b, argc_token, &argc)))
        return ret;
    if ((*argv = a = calloc((size_t) argc + 1, sizeof a[0])) == NULL) {
        rs_log_error("alloc failed");
        return EXIT_OUT_OF_MEMORY;
    }
    for (i = 0; i < argc; i++) {
        if ((ret = distrant_in_token(b, argv_token, &len)) ||
            (ret = distrant_in_string(b, len, &a[i])))
            return ret;
    }
    dcc_trace_argv("got arguments", a);
    return 0;
}
