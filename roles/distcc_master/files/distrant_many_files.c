/* distrant.distcc: the distcc client's dcc_x_many_files, through one buffer.
 *
 * Included at the end of distcc's src/clirpc.c by the distcc_master role (whose own
 * dcc_x_many_files it renames dcc_x_many_files_unbuffered), for the client the role builds
 * next to the include server. In pump mode a compile sends its whole include closure, a
 * few hundred small files (about 700 for a Linux object), each as NAME <name> FILE <size>
 * <content> or NAME <name> LINK <target>. distcc 3.4 writes each token, each name and each
 * content with a write() or sendfile() of its own, after an lstat, an open and an fstat:
 * about eleven system calls per file, most of the client's CPU on the master. Here a file
 * costs lstat, open, read and close, and the buffer goes out when full: the bytes sent are
 * the same, in the same order.
 */

#define DISTRANT_OUT_BUFSIZE (256 * 1024)

struct distrant_out {
    int fd;
    size_t used;
    char data[DISTRANT_OUT_BUFSIZE];
};

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

/* NFIL <n>, then each file of the include server's list under its original name (its
 * forcing_technique placeholders as empty files, symbolic links as LINK). */
int dcc_x_many_files(int ofd, unsigned int n_files, char **fnames)
{
    char target[MAXPATHLEN + 1];
    struct distrant_out *b;
    char *original;
    struct stat st;
    int ret;

    if ((b = malloc(sizeof *b)) == NULL) {
        rs_log_error("failed to allocate %lu bytes", (unsigned long) sizeof *b);
        return EXIT_OUT_OF_MEMORY;
    }
    b->fd = ofd;
    b->used = 0;
    ret = distrant_out_token(b, "NFIL", n_files);
    for (; ret == 0 && *fnames != NULL; ++fnames) {
        if ((ret = dcc_get_original_fname(*fnames, &original)))
            break;
        if (str_endswith("/forcing_technique_271828", original)) {
            if ((ret = distrant_out_string(b, "NAME", original)) == 0)
                ret = distrant_out_token(b, "FILE", 0);
        } else if (lstat(*fnames, &st) == -1) {
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
    free(b);
    return ret;
}
