// nids' libpcap binding. One capture = one native thread that calls pcap_dispatch() in a
// loop and copies each packet, with its pcap header, into a ring in a SharedArrayBuffer
// that the JavaScript thread drains in batches (lib/capture/ring.ts reads the same layout).
// So the capture never waits for the flow table, scoring, Kafka or output: while the
// JavaScript side is busy, packets pile up in the ring and behind it in libpcap's kernel
// buffer, and what does not fit is counted, never lost silently:
// - ring_full: packets the capture thread could not put in the ring: JavaScript was behind
//   for longer than RING_WAIT_NS. Until then the thread waits for room, so libpcap's kernel
//   buffer adds to the ring's, and a stall uses both before anything is dropped;
// - kernel: pcap_stats() ps_drop (the socket buffer overflowed: the thread itself behind);
// - interface: pcap_stats() ps_ifdrop (dropped by the interface/driver).
// Whenever packets were lost, a LOSS record goes into the ring, in stream order, before the
// next packet, so the reader knows which flows were open while packets went missing.
//
// Ring layout (all little-endian u32, offsets in bytes):
//   control, 64 bytes: [0] write offset (this thread), [1] read offset (JavaScript),
//                      [2] 1 once the capture thread has ended
//   data, `capacity` bytes from byte 64: records, each 4-aligned:
//     u32 caplen | u32 wirelen | u32 ts_sec | u32 ts_usec | caplen bytes, padded to 4
//   caplen 0xFFFFFFFF: wrap, the next record is at data offset 0 (also implied when fewer
//   than 16 bytes are left); caplen 0xFFFFFFFE: LOSS, wirelen = packets lost since the last
//   one (saturated), ts = the last packet's time.
// Empty when write == read; the writer never lets write catch up with read.
#define _GNU_SOURCE
#include <node_api.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTRL_BYTES 64
#define HDR_BYTES 16
#define REC_WRAP 0xFFFFFFFFu
#define REC_LOSS 0xFFFFFFFEu
#define STATS_EVERY_NS 20000000LL /* pcap_stats at most every 20 ms: drops surface fast */
#define RING_WAIT_NS 1000000000LL /* how long a full ring is waited for before packets are dropped */
#define RING_POLL_NS 50000L

typedef struct {
  pcap_t *pcap;
  pthread_t thread;
  int thread_started;
  int stop_requested;  // atomic
  int stopped;         // main thread only
  napi_ref ring_ref;
  uint8_t *ring;       // control + data
  uint32_t capacity;   // data bytes
  // Written by the capture thread (atomics), read by stats().
  uint64_t packets, ring_full, kernel_drop, iface_drop, kernel_recv;
  uint64_t pending_loss;  // capture thread only
  int ring_stalled;       // capture thread only: waited RING_WAIT_NS in vain, dropping until there is room
  uint32_t last_ps_drop, last_ps_ifdrop, last_ps_recv;
  uint32_t last_sec, last_usec;
  struct timespec last_stats;
  char error[PCAP_ERRBUF_SIZE + 64];  // set once by the capture thread before it ends
  int error_set;                      // atomic
} capture_t;

static uint32_t *ctrl(capture_t *c) { return (uint32_t *)c->ring; }
static uint8_t *data(capture_t *c) { return c->ring + CTRL_BYTES; }

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static long long ns_since(const struct timespec *a, const struct timespec *b) {
  return (b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

// Reserves `need` contiguous bytes; returns the data offset or -1 when the ring is full.
static int64_t reserve(capture_t *c, uint32_t need) {
  uint32_t w = __atomic_load_n(&ctrl(c)[0], __ATOMIC_RELAXED);
  uint32_t r = __atomic_load_n(&ctrl(c)[1], __ATOMIC_ACQUIRE);
  if (w >= r) {
    if (c->capacity - w >= need) return w;
    // Wrap: the record goes at 0, which needs room before the reader (never reaching it).
    if (r > need) {
      if (c->capacity - w >= 4) put_u32(data(c) + w, REC_WRAP);
      __atomic_store_n(&ctrl(c)[0], 0, __ATOMIC_RELEASE);
      return 0;
    }
    return -1;
  }
  return r - w > need ? (int64_t)w : -1;
}

static void publish(capture_t *c, uint32_t at, uint32_t size) {
  __atomic_store_n(&ctrl(c)[0], at + size, __ATOMIC_RELEASE);
}

static int put_loss(capture_t *c) {
  int64_t at = reserve(c, HDR_BYTES);
  if (at < 0) return 0;
  uint8_t *p = data(c) + at;
  put_u32(p, REC_LOSS);
  put_u32(p + 4, c->pending_loss > 0xFFFFFFF0u ? 0xFFFFFFF0u : (uint32_t)c->pending_loss);
  put_u32(p + 8, c->last_sec);
  put_u32(p + 12, c->last_usec);
  publish(c, (uint32_t)at, HDR_BYTES);
  c->pending_loss = 0;
  return 1;
}

// The ring is full: waits up to RING_WAIT_NS for JavaScript to make room (meanwhile
// packets queue in the kernel buffer); -1 and ring_stalled set when it does not.
static int64_t wait_for_room(capture_t *c, uint32_t size) {
  struct timespec start, now, nap = {0, RING_POLL_NS};
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    nanosleep(&nap, NULL);
    int64_t at = reserve(c, size);
    if (at >= 0) return at;
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while (ns_since(&start, &now) < RING_WAIT_NS && !__atomic_load_n(&c->stop_requested, __ATOMIC_ACQUIRE));
  c->ring_stalled = 1;
  return -1;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  capture_t *c = (capture_t *)user;
  __atomic_store_n(&c->packets, c->packets + 1, __ATOMIC_RELAXED);
  c->last_sec = (uint32_t)h->ts.tv_sec;
  c->last_usec = (uint32_t)h->ts.tv_usec;
  // Room for the packet, and for a LOSS record before it when packets went missing.
  uint32_t size = HDR_BYTES + ((h->caplen + 3u) & ~3u);
  uint32_t need = size + (c->pending_loss ? HDR_BYTES : 0);
  int64_t at = reserve(c, need);
  if (at < 0 && !c->ring_stalled) at = wait_for_room(c, need);
  if (at < 0) {
    c->pending_loss++;
    __atomic_store_n(&c->ring_full, c->ring_full + 1, __ATOMIC_RELAXED);
    return;
  }
  c->ring_stalled = 0;
  if (c->pending_loss) {
    put_loss(c);  // fits: reserved above, and reserving again gives the same place
    at = reserve(c, size);
  }
  uint8_t *p = data(c) + at;
  put_u32(p, h->caplen);
  put_u32(p + 4, h->len);
  put_u32(p + 8, (uint32_t)h->ts.tv_sec);
  put_u32(p + 12, (uint32_t)h->ts.tv_usec);
  memcpy(p + HDR_BYTES, bytes, h->caplen);
  publish(c, (uint32_t)at, size);
}

static void read_stats(capture_t *c) {
  struct pcap_stat ps;
  if (pcap_stats(c->pcap, &ps) != 0) return;
  uint32_t drop = ps.ps_drop - c->last_ps_drop, ifdrop = ps.ps_ifdrop - c->last_ps_ifdrop, recv = ps.ps_recv - c->last_ps_recv;
  c->last_ps_drop = ps.ps_drop;
  c->last_ps_ifdrop = ps.ps_ifdrop;
  c->last_ps_recv = ps.ps_recv;
  __atomic_store_n(&c->kernel_drop, c->kernel_drop + drop, __ATOMIC_RELAXED);
  __atomic_store_n(&c->iface_drop, c->iface_drop + ifdrop, __ATOMIC_RELAXED);
  __atomic_store_n(&c->kernel_recv, c->kernel_recv + recv, __ATOMIC_RELAXED);
  if (drop || ifdrop) {
    c->pending_loss += (uint64_t)drop + ifdrop;
    put_loss(c);
  }
}

static void *capture_loop(void *arg) {
  capture_t *c = (capture_t *)arg;
  clock_gettime(CLOCK_MONOTONIC, &c->last_stats);
  while (!__atomic_load_n(&c->stop_requested, __ATOMIC_ACQUIRE)) {
    int n = pcap_dispatch(c->pcap, -1, on_packet, (u_char *)c);
    if (n == PCAP_ERROR_BREAK) break;
    if (n == PCAP_ERROR) {
      snprintf(c->error, sizeof c->error, "%s", pcap_geterr(c->pcap));
      __atomic_store_n(&c->error_set, 1, __ATOMIC_RELEASE);
      break;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (ns_since(&c->last_stats, &now) >= STATS_EVERY_NS) {
      c->last_stats = now;
      read_stats(c);
    }
  }
  read_stats(c);
  if (c->pending_loss) put_loss(c);
  __atomic_store_n(&ctrl(c)[2], 1, __ATOMIC_RELEASE);
  return NULL;
}

// ---- N-API plumbing ----

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "nids-pcap: N-API call failed: " #call); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_coded(napi_env env, const char *code, const char *msg) {
  napi_value m, k, err;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &k);
  napi_create_error(env, k, m, &err);
  napi_throw(env, err);
  return NULL;
}

static int get_prop(napi_env env, napi_value obj, const char *name, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  return napi_get_named_property(env, obj, name, out) == napi_ok;
}

static int64_t get_int(napi_env env, napi_value obj, const char *name, int64_t dflt) {
  napi_value v;
  int64_t out = dflt;
  if (get_prop(env, obj, name, &v)) napi_get_value_int64(env, v, &out);
  return out;
}

static bool get_bool(napi_env env, napi_value obj, const char *name, bool dflt) {
  napi_value v;
  bool out = dflt;
  if (get_prop(env, obj, name, &v)) napi_get_value_bool(env, v, &out);
  return out;
}

static char *get_str(napi_env env, napi_value obj, const char *name) {
  napi_value v;
  size_t len = 0;
  if (!get_prop(env, obj, name, &v)) return strdup("");
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return strdup("");
  char *s = malloc(len + 1);
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static void stop_capture(napi_env env, capture_t *c) {
  if (c->stopped) return;
  c->stopped = 1;
  __atomic_store_n(&c->stop_requested, 1, __ATOMIC_RELEASE);
  if (c->thread_started) {
    pcap_breakloop(c->pcap);
    pthread_join(c->thread, NULL);
  }
  pcap_close(c->pcap);
  c->pcap = NULL;
  if (c->ring_ref) napi_delete_reference(env, c->ring_ref);
  c->ring_ref = NULL;
}

static void finalize(napi_env env, void *ptr, void *hint) {
  (void)hint;
  capture_t *c = (capture_t *)ptr;
  stop_capture(env, c);
  free(c);
}

// open({iface, filter, snaplen, bufferBytes, promisc, immediate, timeoutMs}, ring: Uint8Array over a SharedArrayBuffer)
//   -> {handle, linkType}; throws an Error whose code is no-such-interface | permission | bad-filter | open-failed.
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_coded(env, "open-failed", "open(options, ring) needs two arguments");
  napi_typedarray_type type;
  size_t length;
  void *ring;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &ring, &ab, &offset) != napi_ok || type != napi_uint8_array)
    return throw_coded(env, "open-failed", "the ring must be a Uint8Array");
  if (length < CTRL_BYTES + 4 * HDR_BYTES || ((uintptr_t)ring & 7) != 0)
    return throw_coded(env, "open-failed", "the ring is too small or not 8-aligned");

  char errbuf[PCAP_ERRBUF_SIZE] = "";
  char msg[PCAP_ERRBUF_SIZE + 256];
  char *iface = get_str(env, argv[0], "iface");
  char *filter = get_str(env, argv[0], "filter");
  pcap_t *p = pcap_create(iface, errbuf);
  if (!p) {
    snprintf(msg, sizeof msg, "%s", errbuf);
    free(iface);
    free(filter);
    return throw_coded(env, "open-failed", msg);
  }
  pcap_set_snaplen(p, (int)get_int(env, argv[0], "snaplen", 65535));
  pcap_set_promisc(p, get_bool(env, argv[0], "promisc", true) ? 1 : 0);
  pcap_set_buffer_size(p, (int)get_int(env, argv[0], "bufferBytes", 64 << 20));
  pcap_set_timeout(p, (int)get_int(env, argv[0], "timeoutMs", 50));
  pcap_set_immediate_mode(p, get_bool(env, argv[0], "immediate", false) ? 1 : 0);
  int rc = pcap_activate(p);
  if (rc < 0) {
    const char *code = rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no-such-interface"
                       : (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED) ? "permission"
                                                                                                 : "open-failed";
    snprintf(msg, sizeof msg, "%s", pcap_geterr(p)[0] ? pcap_geterr(p) : pcap_statustostr(rc));
    pcap_close(p);
    free(iface);
    free(filter);
    return throw_coded(env, code, msg);
  }
  if (filter[0]) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
      snprintf(msg, sizeof msg, "%s", pcap_geterr(p));
      pcap_close(p);
      free(iface);
      free(filter);
      return throw_coded(env, "bad-filter", msg);
    }
    pcap_freecode(&prog);
  }
  free(iface);
  free(filter);

  capture_t *c = calloc(1, sizeof *c);
  c->pcap = p;
  c->ring = ring;
  c->capacity = (uint32_t)((length - CTRL_BYTES) & ~(size_t)3);
  memset(ring, 0, CTRL_BYTES);
  if (napi_create_reference(env, argv[1], 1, &c->ring_ref) != napi_ok) {
    pcap_close(p);
    free(c);
    return throw_coded(env, "open-failed", "cannot reference the ring");
  }
  napi_value handle;
  if (napi_create_external(env, c, finalize, NULL, &handle) != napi_ok) {
    napi_delete_reference(env, c->ring_ref);
    pcap_close(p);
    free(c);
    return throw_coded(env, "open-failed", "cannot create the handle");
  }
  if (pthread_create(&c->thread, NULL, capture_loop, c) != 0) {
    stop_capture(env, c);
    return throw_coded(env, "open-failed", "cannot start the capture thread");
  }
  c->thread_started = 1;
  napi_value out, link;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_int32(env, pcap_datalink(p), &link));
  CHECK(napi_set_named_property(env, out, "handle", handle));
  CHECK(napi_set_named_property(env, out, "dlt", link));
  return out;
}

static capture_t *handle_of(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *ptr = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_external(env, argv[0], &ptr) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a capture handle");
    return NULL;
  }
  return (capture_t *)ptr;
}

static void set_num(napi_env env, napi_value obj, const char *name, uint64_t v) {
  napi_value n;
  napi_create_double(env, (double)v, &n);
  napi_set_named_property(env, obj, name, n);
}

// stats(handle) -> {packets, ringFull, kernelDrop, ifaceDrop, kernelReceived, error}
static napi_value js_stats(napi_env env, napi_callback_info info) {
  capture_t *c = handle_of(env, info);
  if (!c) return NULL;
  napi_value out, err;
  CHECK(napi_create_object(env, &out));
  set_num(env, out, "packets", __atomic_load_n(&c->packets, __ATOMIC_RELAXED));
  set_num(env, out, "ringFull", __atomic_load_n(&c->ring_full, __ATOMIC_RELAXED));
  set_num(env, out, "kernelDrop", __atomic_load_n(&c->kernel_drop, __ATOMIC_RELAXED));
  set_num(env, out, "ifaceDrop", __atomic_load_n(&c->iface_drop, __ATOMIC_RELAXED));
  set_num(env, out, "kernelReceived", __atomic_load_n(&c->kernel_recv, __ATOMIC_RELAXED));
  if (__atomic_load_n(&c->error_set, __ATOMIC_ACQUIRE)) CHECK(napi_create_string_utf8(env, c->error, NAPI_AUTO_LENGTH, &err));
  else CHECK(napi_get_null(env, &err));
  CHECK(napi_set_named_property(env, out, "error", err));
  return out;
}

// stop(handle): ends the capture thread and closes libpcap (idempotent). Packets already
// in the ring stay there for the reader.
static napi_value js_stop(napi_env env, napi_callback_info info) {
  capture_t *c = handle_of(env, info);
  if (!c) return NULL;
  stop_capture(env, c);
  return NULL;
}

// interfaces() -> names libpcap can capture on.
static napi_value js_interfaces(napi_env env, napi_callback_info info) {
  (void)info;
  pcap_if_t *all = NULL;
  char errbuf[PCAP_ERRBUF_SIZE];
  if (pcap_findalldevs(&all, errbuf) != 0) return throw_coded(env, "open-failed", errbuf);
  napi_value arr, name;
  CHECK(napi_create_array(env, &arr));
  uint32_t i = 0;
  for (pcap_if_t *d = all; d; d = d->next) {
    napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, arr, i++, name);
  }
  pcap_freealldevs(all);
  return arr;
}

static napi_value js_lib_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  CHECK(napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &v));
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"stop", NULL, js_stop, NULL, NULL, NULL, napi_default, NULL},
      {"interfaces", NULL, js_interfaces, NULL, NULL, NULL, napi_default, NULL},
      {"libVersion", NULL, js_lib_version, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
