/* aiobs_curl: tees a curl easy transfer into aiobs_record_http (see aiobs_curl.h). */
#define _POSIX_C_SOURCE 200809L
#include "aiobs_curl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The most of each body kept for the record: the core's default max_input_bytes. */
#define BODY_LIMIT ((size_t)16 * 1024 * 1024)

/* A growable byte buffer; `failed` is set when memory ran out (the record then says so). */
typedef struct buffer {
  char *data;
  size_t len, cap;
  int failed;
} buffer;

static void buffer_add(buffer *b, const void *data, size_t len, size_t limit) {
  if (b->failed || b->len >= limit) return;
  if (len > limit - b->len) len = limit - b->len;
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + len + 1) cap *= 2;
    char *grown = (char *)realloc(b->data, cap);
    if (!grown) {
      b->failed = 1;
      return;
    }
    b->data = grown;
    b->cap = cap;
  }
  if (len) memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

static void buffer_text(buffer *b, const char *text) { buffer_add(b, text, strlen(text), (size_t)-1); }

/* Appends `text[0..len)` as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static void buffer_json_string(buffer *b, const char *text, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)text;
  buffer_text(b, "\"");
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (c == '"' || c == '\\') {
      char escaped[2] = {'\\', (char)c};
      buffer_add(b, escaped, 2, (size_t)-1);
      i++;
    } else if (c < 0x20) {
      char escaped[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
      buffer_add(b, escaped, 6, (size_t)-1);
      i++;
    } else if (c < 0x80) {
      buffer_add(b, &s[i], 1, (size_t)-1);
      i++;
    } else {
      size_t need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
      size_t ok = need && i + need <= len;
      for (size_t k = 1; ok && k < need; k++) ok = (s[i + k] & 0xc0) == 0x80;
      /* Overlong, surrogate and beyond-U+10FFFF forms are not UTF-8 either. */
      if (ok && need == 3) ok = !(c == 0xe0 && s[i + 1] < 0xa0) && !(c == 0xed && s[i + 1] >= 0xa0);
      if (ok && need == 4) ok = !(c == 0xf0 && s[i + 1] < 0x90) && !(c == 0xf4 && s[i + 1] >= 0x90);
      if (ok) {
        buffer_add(b, &s[i], need, (size_t)-1);
        i += need;
      } else {
        buffer_text(b, "\\ufffd");
        i++;
      }
    }
  }
  buffer_text(b, "\"");
}

static void buffer_json_or_null(buffer *b, const char *text) {
  if (text) {
    buffer_json_string(b, text, strlen(text));
  } else {
    buffer_text(b, "null");
  }
}

/* One response header line kept as name and value. */
typedef struct header {
  char *name, *value;
} header;

/* Everything one transfer tees. */
typedef struct capture {
  const aiobs_curl_request *request;
  buffer sent, received;
  header *headers;
  size_t header_count, header_cap;
  int aborted_by_writer, aborted_by_reader;
} capture;

static void forget_headers(capture *c) {
  for (size_t i = 0; i < c->header_count; i++) {
    free(c->headers[i].name);
    free(c->headers[i].value);
  }
  c->header_count = 0;
}

/* Keeps `name: value` lines of the last response; a status line starts a new response (after a
 * redirect or a 100 Continue). */
static void keep_header_line(capture *c, const char *line, size_t len) {
  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
  if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    forget_headers(c);
    return;
  }
  const char *colon = memchr(line, ':', len);
  if (!colon || colon == line) return;
  const char *value = colon + 1;
  while (value < line + len && (*value == ' ' || *value == '\t')) value++;
  if (c->header_count == c->header_cap) {
    size_t cap = c->header_cap ? c->header_cap * 2 : 16;
    header *grown = (header *)realloc(c->headers, cap * sizeof *grown);
    if (!grown) return;
    c->headers = grown;
    c->header_cap = cap;
  }
  header *h = &c->headers[c->header_count];
  h->name = strndup(line, (size_t)(colon - line));
  h->value = strndup(value, (size_t)(line + len - value));
  if (!h->name || !h->value) {
    free(h->name);
    free(h->value);
    return;
  }
  c->header_count++;
}

static size_t tee_write(char *data, size_t size, size_t count, void *user) {
  capture *c = (capture *)user;
  const aiobs_curl_request *r = c->request;
  size_t offered = size * count, taken;
  if (r->write) {
    taken = r->write(data, size, count, r->write_data);
  } else {
    taken = fwrite(data, size, count, r->write_data ? (FILE *)r->write_data : stdout) * size;
  }
  if (taken == CURL_WRITEFUNC_PAUSE) return taken; /* curl offers the same data again later */
  buffer_add(&c->received, data, taken < offered ? taken : offered, BODY_LIMIT);
  if (taken != offered) c->aborted_by_writer = 1;
  return taken;
}

static size_t tee_header(char *data, size_t size, size_t count, void *user) {
  capture *c = (capture *)user;
  const aiobs_curl_request *r = c->request;
  size_t offered = size * count;
  size_t taken = r->header ? r->header(data, size, count, r->header_data) : offered;
  if (taken == offered) keep_header_line(c, data, offered);
  return taken;
}

static size_t tee_read(char *data, size_t size, size_t count, void *user) {
  capture *c = (capture *)user;
  const aiobs_curl_request *r = c->request;
  size_t given = r->read ? r->read(data, size, count, r->read_data) : fread(data, size, count, (FILE *)r->read_data) * size;
  if (given == CURL_READFUNC_ABORT) {
    c->aborted_by_reader = 1;
  } else if (given != CURL_READFUNC_PAUSE && given <= size * count) {
    buffer_add(&c->sent, data, given, BODY_LIMIT);
  }
  return given;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Response headers as a JSON object: a name seen once maps to its value, a repeated name (any
 * case) to the array of its values. The core keeps only the ones it allows. */
static void add_headers_json(buffer *json, const capture *c) {
  buffer_text(json, ",\"response_headers\":{");
  int first = 1;
  for (size_t i = 0; i < c->header_count; i++) {
    size_t seen_before = 0, repeats = 0;
    for (size_t k = 0; k < c->header_count; k++) {
      if (strcasecmp(c->headers[k].name, c->headers[i].name) != 0) continue;
      if (k < i) seen_before = 1;
      repeats++;
    }
    if (seen_before) continue;
    if (!first) buffer_text(json, ",");
    first = 0;
    buffer_json_string(json, c->headers[i].name, strlen(c->headers[i].name));
    buffer_text(json, ":");
    if (repeats > 1) buffer_text(json, "[");
    int first_value = 1;
    for (size_t k = i; k < c->header_count; k++) {
      if (strcasecmp(c->headers[k].name, c->headers[i].name) != 0) continue;
      if (!first_value) buffer_text(json, ",");
      first_value = 0;
      buffer_json_string(json, c->headers[k].value, strlen(c->headers[k].value));
    }
    if (repeats > 1) buffer_text(json, "]");
  }
  buffer_text(json, "}");
}

/* Why the transfer failed, or NULL when it did not. */
static void add_transport_error(buffer *json, CURLcode code, const capture *c) {
  buffer_text(json, ",\"transport_error\":");
  if (code == CURLE_OK && !c->received.failed && !c->sent.failed) {
    buffer_text(json, "null");
    return;
  }
  char text[256];
  if (code == CURLE_WRITE_ERROR && c->aborted_by_writer) {
    snprintf(text, sizeof text, "aborted by the caller's write callback (curl: %s)", curl_easy_strerror(code));
  } else if (code == CURLE_ABORTED_BY_CALLBACK && c->aborted_by_reader) {
    snprintf(text, sizeof text, "aborted by the caller's read callback (curl: %s)", curl_easy_strerror(code));
  } else if (code != CURLE_OK) {
    snprintf(text, sizeof text, "curl: %s", curl_easy_strerror(code));
  } else {
    snprintf(text, sizeof text, "aiobs_curl: out of memory while copying a body");
  }
  buffer_json_or_null(json, text);
}

static void add_callsite(buffer *json, const char *file, int line, const char *function) {
  char number[32];
  snprintf(number, sizeof number, "%d", line);
  buffer_text(json, ",\"callsite\":{\"file\":");
  buffer_json_or_null(json, file);
  buffer_text(json, ",\"line\":");
  buffer_text(json, line > 0 ? number : "null");
  buffer_text(json, ",\"function\":");
  buffer_json_or_null(json, function);
  buffer_text(json, "}");
}

static void record_exchange(CURL *easy, CURLcode code, const capture *c, double started, double ended,
                            const char *file, int line, const char *function, aiobs_curl_record *record) {
  char *method = NULL, *url = NULL, *content_type = NULL;
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_METHOD, &method);
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type);

  buffer json = {0};
  char number[64];
  buffer_text(&json, "{\"method\":");
  buffer_json_or_null(&json, method ? method : "GET");
  buffer_text(&json, ",\"url\":");
  buffer_json_or_null(&json, url ? url : "");
  snprintf(number, sizeof number, ",\"status\":%ld", status);
  buffer_text(&json, number);
  buffer_text(&json, ",\"content_type\":");
  buffer_json_or_null(&json, content_type);
  add_transport_error(&json, code, c);
  snprintf(number, sizeof number, ",\"started_at\":%.6f,\"ended_at\":%.6f", started, ended);
  buffer_text(&json, number);
  add_callsite(&json, file, line, function);
  if (status > 0) add_headers_json(&json, c);
  buffer_text(&json, "}");

  char *error = NULL;
  aiobs_status recorded;
  if (json.failed) {
    recorded = AIOBS_ERR_INVALID_ARGUMENT; /* out of memory: nothing to hand over */
  } else {
    recorded = aiobs_record_http(json.data, (const uint8_t *)c->sent.data, c->sent.len,
                                 (const uint8_t *)c->received.data, c->received.len, &error);
  }
  if (record) {
    record->status = recorded;
    record->error = error;
  } else {
    aiobs_string_free(error);
  }
  free(json.data);
}

CURLcode aiobs_curl_perform_at(CURL *easy, const aiobs_curl_request *request, aiobs_curl_record *record,
                               const char *file, int line, const char *function) {
  static const aiobs_curl_request nothing = {0};
  if (record) {
    record->status = AIOBS_OK;
    record->error = NULL;
  }
  if (!easy) return CURLE_BAD_FUNCTION_ARGUMENT;
  capture c;
  memset(&c, 0, sizeof c);
  c.request = request ? request : &nothing;
  const aiobs_curl_request *r = c.request;

  if (r->body) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->body);
    buffer_add(&c.sent, r->body, r->body_len, BODY_LIMIT);
  }
  int tee_reads = r->read != NULL || r->read_data != NULL;
  if (tee_reads) {
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, tee_read);
    curl_easy_setopt(easy, CURLOPT_READDATA, &c);
  }
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, tee_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &c);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, tee_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &c);

  double started = now_seconds();
  CURLcode code = curl_easy_perform(easy);
  double ended = now_seconds();

  /* The handle is the caller's again: its own callbacks, or curl's defaults. */
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, r->write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, r->write_data);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, r->header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, r->header_data);
  if (tee_reads) {
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, r->read);
    curl_easy_setopt(easy, CURLOPT_READDATA, r->read_data);
  }

  record_exchange(easy, code, &c, started, ended, file, line, function, record);
  forget_headers(&c);
  free(c.headers);
  free(c.sent.data);
  free(c.received.data);
  return code;
}
