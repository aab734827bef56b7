/*
 * test_sctp_shim.c — the SCTP shim of the Osmocom tests
 * (tests/osmocom/sctp_shim.c), linked in rather than preloaded: its
 * socket(), sctp_recvmsg() and friends stand in for the real ones here.
 * An "SCTP" socket pair over loopback (a TCP one underneath), and M3UA
 * messages written the ways TCP may deliver them: several in one write,
 * one a byte at a time, one larger than the reader's buffer, one with a
 * length no message has.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

struct pair {
	int rd, wr;		/* the reader (an "SCTP" socket), the writer */
};

/* An accepted connection to an "SCTP" listener; the reader non-blocking. */
static int setup(void **state)
{
	struct pair *p = test_malloc(sizeof(*p));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

	assert_true(l >= 0);
	assert_int_equal(sctp_bindx(l, (struct sockaddr *)&a, 1, SCTP_BINDX_ADD_ADDR), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	p->wr = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	assert_int_equal(sctp_connectx(p->wr, (struct sockaddr *)&a, 1, NULL), 0);
	p->rd = accept(l, NULL, NULL);
	assert_true(p->rd >= 0);
	close(l);
	assert_int_equal(fcntl(p->rd, F_SETFL, O_NONBLOCK), 0);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	close(p->rd);
	close(p->wr);
	test_free(p);
	return 0;
}

/* An M3UA message (RFC 4666 §3.1) of class cls, len octets in all. */
static size_t m3ua(uint8_t *buf, uint8_t cls, uint32_t len, uint8_t fill)
{
	memset(buf, fill, len);
	buf[0] = 1;
	buf[1] = 0;
	buf[2] = cls;
	buf[3] = 1;
	buf[4] = (uint8_t)(len >> 24);
	buf[5] = (uint8_t)(len >> 16);
	buf[6] = (uint8_t)(len >> 8);
	buf[7] = (uint8_t)len;
	return len;
}

static int rx(struct pair *p, uint8_t *buf, size_t cap, struct sctp_sndrcvinfo *si, int *flags)
{
	return sctp_recvmsg(p->rd, buf, cap, NULL, NULL, si, flags);
}

static void wait_readable(struct pair *p)
{
	usleep(20000);	/* loopback: the bytes written are there by then */
}

/* Three messages in one write come out one per call, each with its stream. */
static void test_one_message_per_call(void **state)
{
	struct pair *p = *state;
	uint8_t out[300], in[300];
	struct sctp_sndrcvinfo si;
	size_t n = 0;
	int flags;

	n += m3ua(out + n, 1, 40, 0xaa);	/* transfer (DATA): stream 1 */
	n += m3ua(out + n, 3, 16, 0xbb);	/* ASPSM: stream 0 */
	n += m3ua(out + n, 1, 100, 0xcc);
	assert_int_equal(sctp_send(p->wr, out, n, NULL, 0), (int)n);
	wait_readable(p);
	assert_int_equal(rx(p, in, sizeof(in), &si, &flags), 40);
	assert_int_equal(si.sinfo_stream, 1);
	assert_int_equal(ntohl(si.sinfo_ppid), 3);
	assert_true(flags & MSG_EOR);
	assert_memory_equal(in, out, 40);
	assert_int_equal(rx(p, in, sizeof(in), &si, &flags), 16);
	assert_int_equal(si.sinfo_stream, 0);
	assert_int_equal(rx(p, in, sizeof(in), &si, &flags), 100);
	assert_memory_equal(in, out + 56, 100);
	assert_int_equal(rx(p, in, sizeof(in), &si, &flags), -1);
	assert_int_equal(errno, EAGAIN);
}

/* A message a byte at a time: EAGAIN until it is whole, never a part. */
static void test_partial_reads(void **state)
{
	struct pair *p = *state;
	uint8_t out[64], in[64];
	struct sctp_sndrcvinfo si;
	int flags;

	m3ua(out, 1, 64, 0x5a);
	for (unsigned i = 0; i < 63; i++) {
		assert_int_equal(send(p->wr, out + i, 1, 0), 1);
		wait_readable(p);
		assert_int_equal(rx(p, in, sizeof(in), &si, &flags), -1);
		assert_int_equal(errno, EAGAIN);
	}
	assert_int_equal(send(p->wr, out + 63, 1, 0), 1);
	wait_readable(p);
	assert_int_equal(rx(p, in, sizeof(in), &si, &flags), 64);
	assert_memory_equal(in, out, 64);
}

/* A reader with a small buffer gets the message in pieces, MSG_EOR last. */
static void test_small_buffer(void **state)
{
	struct pair *p = *state;
	uint8_t out[100], in[100];
	int flags;

	m3ua(out, 1, 100, 0x11);
	assert_int_equal(sctp_sendmsg(p->wr, out, 100, NULL, 0, 0, 0, 1, 0, 0), 100);
	wait_readable(p);
	assert_int_equal(rx(p, in, 60, NULL, &flags), 60);
	assert_false(flags & MSG_EOR);
	assert_int_equal(rx(p, in + 60, 60, NULL, &flags), 40);
	assert_true(flags & MSG_EOR);
	assert_memory_equal(in, out, 100);
}

/* A length under the header's or over 64 KiB: the connection is done for. */
static void test_bad_length(void **state)
{
	struct pair *p = *state;
	uint8_t out[8], in[16];

	m3ua(out, 1, 8, 0);
	out[7] = 4;
	assert_int_equal(send(p->wr, out, 8, 0), 8);
	wait_readable(p);
	assert_int_equal(rx(p, in, sizeof(in), NULL, NULL), -1);
	assert_int_equal(errno, ECONNRESET);
}

/* The end of the stream is 0, as from SCTP. */
static void test_end_of_stream(void **state)
{
	struct pair *p = *state;
	uint8_t in[16];

	shutdown(p->wr, SHUT_WR);
	wait_readable(p);
	assert_int_equal(rx(p, in, sizeof(in), NULL, NULL), 0);
}

/* SCTP-level options: set does nothing, get says what an association would. */
static void test_sockopts(void **state)
{
	struct pair *p = *state;
	struct sctp_status st;
	struct sctp_initmsg im = { .sinit_num_ostreams = 9 };
	socklen_t len = sizeof(st);

	assert_int_equal(setsockopt(p->rd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)), 0);
	assert_int_equal(getsockopt(p->rd, IPPROTO_SCTP, SCTP_STATUS, &st, &len), 0);
	assert_int_equal(st.sstat_state, SCTP_ESTABLISHED);
	assert_int_equal(st.sstat_outstrms, 2);
	len = sizeof(im);
	assert_int_equal(getsockopt(p->rd, IPPROTO_SCTP, SCTP_INITMSG, &im, &len), 0);
	assert_int_equal(im.sinit_num_ostreams, 2);
	/* one-to-many sockets have no TCP equivalent */
	assert_int_equal(socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_message_per_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_of_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sockopts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
