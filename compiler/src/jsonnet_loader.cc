// Jsonnet → manifests, through libjsonnet evaluated in a forked child process.
//
// Why a child: libjsonnet has no way to stop an evaluation, so a time limit
// needs something we can kill; and a crash inside it (a parser recursing on a
// deeply nested file) must not take the compiler down.
//
// Why imports go back to the parent: the child is forked from a multi-threaded
// process, so it may only do what is safe after fork (evaluate, malloc, talk on
// its socket). Reading the Source (libgit2, files) happens in the parent, which
// answers each import request; that is also how imports stay inside the source.
//
// Protocol on a socketpair, each message [type:1][length:8][payload]:
//   child → parent  'I' base\0rel            an import request
//                   'R' json | 'E' error     the result; the child then exits
//   parent → child  'F' found_here\0content  the import, or 'M' message
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>

extern "C" {
#include <libjsonnet.h>
}

#include "gorch/compiler/loader.h"
#include "loader_internal.h"
#include "source_internal.h"

namespace gorch::compiler {

namespace {

using lang::SourcePos;
using lang::Value;

constexpr char kImportRequest = 'I', kImportFound = 'F', kImportMissing = 'M';
constexpr char kResultOk = 'R', kResultError = 'E';

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool RecvAll(int fd, char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::recv(fd, data, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool SendMessage(int fd, char type, std::string_view a, std::string_view b = {}, bool with_separator = false) {
  uint64_t len = a.size() + b.size() + (with_separator ? 1 : 0);
  char header[9];
  header[0] = type;
  std::memcpy(header + 1, &len, 8);
  return SendAll(fd, header, 9) && SendAll(fd, a.data(), a.size()) && (!with_separator || SendAll(fd, "", 1)) &&
         SendAll(fd, b.data(), b.size());
}

// ---- The child -------------------------------------------------------------

struct ChildContext {
  JsonnetVm* vm;
  int fd;
};

char* CopyForJsonnet(JsonnetVm* vm, std::string_view s) {
  char* out = jsonnet_realloc(vm, nullptr, s.size() + 1);
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

char* ChildImport(void* ctx, const char* base, const char* rel, char** found_here, int* success) {
  auto* c = static_cast<ChildContext*>(ctx);
  char header[9];
  if (!SendMessage(c->fd, kImportRequest, base, rel, true) || !RecvAll(c->fd, header, 9)) ::_exit(3);
  uint64_t len;
  std::memcpy(&len, header + 1, 8);
  std::string payload(len, '\0');
  if (!RecvAll(c->fd, payload.data(), len)) ::_exit(3);
  if (header[0] != kImportFound) {
    *success = 0;
    return CopyForJsonnet(c->vm, payload);
  }
  size_t sep = payload.find('\0');
  *found_here = CopyForJsonnet(c->vm, std::string_view(payload).substr(0, sep));
  *success = 1;
  return CopyForJsonnet(c->vm, std::string_view(payload).substr(sep + 1));
}

// Closes every descriptor but keep: another thread's child socket inherited by
// this fork would otherwise hide that child's exit from its parent.
void CloseOtherFds(int keep) {
#ifdef SYS_close_range
  if (keep > 3 && ::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) != 0) goto fallback;
  if (::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0) return;
fallback:
#endif
  for (int fd = 3; fd < 65536; ++fd)
    if (fd != keep) ::close(fd);
}

// Sanitizers map terabytes of shadow memory: no heap limit under them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kCanLimitMemory = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
constexpr bool kCanLimitMemory = false;
#else
constexpr bool kCanLimitMemory = true;
#endif
#else
constexpr bool kCanLimitMemory = true;
#endif

[[noreturn]] void RunChild(int fd, const std::string& path, const std::string& code, const LoadOptions& options) {
  CloseOtherFds(fd);
  // libjsonnet prints "FATAL ERROR" and aborts when memory runs out: keep that
  // off the user's terminal; the parent reports it.
  int null_fd = ::open("/dev/null", O_WRONLY);
  if (null_fd >= 0) {
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    if (null_fd > STDERR_FILENO) ::close(null_fd);
  }
  struct rlimit no_core = {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  if (kCanLimitMemory && options.jsonnet_max_memory_mb > 0) {
    rlim_t bytes = static_cast<rlim_t>(options.jsonnet_max_memory_mb) << 20;
    struct rlimit data = {bytes, bytes};
    ::setrlimit(RLIMIT_DATA, &data);
  }
  JsonnetVm* vm = jsonnet_make();
  jsonnet_max_stack(vm, options.jsonnet_max_stack);
  for (const auto& [k, v] : options.ext_strs) jsonnet_ext_var(vm, k.c_str(), v.c_str());
  ChildContext ctx{vm, fd};
  jsonnet_import_callback(vm, ChildImport, &ctx);
  int error = 0;
  char* out = jsonnet_evaluate_snippet(vm, path.c_str(), code.c_str(), &error);
  bool sent = SendMessage(fd, error ? kResultError : kResultOk, out ? out : "");
  ::_exit(sent ? 0 : 3);  // no atexit handlers, no stdio flush of the parent's buffers
}

// ---- The parent ------------------------------------------------------------

struct Evaluation {
  enum Kind { kOk, kJsonnetError, kFailed } kind = kFailed;
  std::string text;  // the JSON, libjsonnet's error text, or our own message
  bool timed_out = false;
};

// Finds an import inside the source: relative to the importing file's
// directory, then in each jpath. Sets found_here (the name later imports are
// relative to, and that errors show) and content; returns false with a message.
bool ResolveImport(const Source& source, const LoadOptions& options, std::string_view base, std::string_view rel,
                   std::string& found_here, std::string& content) {
  if (!rel.empty() && rel.front() == '/') {
    content = "absolute import paths are not allowed; imports resolve inside the source and its jpaths";
    return false;
  }
  std::vector<std::string> candidates{std::string(base) + std::string(rel)};
  for (const std::string& jpath : options.jpaths) candidates.push_back(jpath + "/" + std::string(rel));
  std::string tried;
  for (const std::string& candidate : candidates) {
    if (!candidate.empty() && candidate.front() == '/') {  // under an absolute jpath: the local disk
      std::string normal = std::filesystem::path(candidate).lexically_normal().string();
      bool inside = false;
      for (const std::string& jpath : options.jpaths) {
        if (jpath.empty() || jpath.front() != '/') continue;
        std::string dir = std::filesystem::path(jpath + "/").lexically_normal().string();
        inside |= normal.compare(0, dir.size(), dir) == 0;
      }
      if (!inside) continue;
      std::error_code ec;
      uintmax_t size = std::filesystem::file_size(normal, ec);
      if (ec) {
        tried += (tried.empty() ? "" : ", ") + normal;
        continue;
      }
      if (size > options.max_file_bytes) {
        content = internal::TooLarge(normal, size, options.max_file_bytes).message();
        return false;
      }
      std::ifstream in(normal, std::ios::binary);
      content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      found_here = normal;
      return true;
    }
    std::optional<std::string> normal = internal::NormalizeRelativePath(candidate);
    if (!normal) {
      content = "import '" + std::string(rel) + "' leaves the source";
      return false;
    }
    Result<std::string> read = source.ReadFile(*normal, options.max_file_bytes);
    if (read.ok()) {
      found_here = *normal;
      content = std::move(read).value();
      return true;
    }
    if (!read.status().IsNotFound()) {
      content = read.status().message();
      return false;
    }
    tried += (tried.empty() ? "" : ", ") + source.DisplayPath(*normal);
  }
  content = "not found in the source (tried " + tried + ")";
  return false;
}

// Reads the child's messages until its result, answering import requests;
// kills it when the deadline passes or its output grows past max_output.
Evaluation Supervise(int fd, pid_t pid, const Source& source, const LoadOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = options.jsonnet_timeout_ms == 0 ? Clock::time_point::max()
                                                         : Clock::now() + std::chrono::milliseconds(options.jsonnet_timeout_ms);
  const uint64_t max_output = std::max<uint64_t>(uint64_t{256} << 20, uint64_t{16} * options.max_file_bytes);
  Evaluation result;
  std::string buffer;
  bool done = false;
  while (!done) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result = {Evaluation::kFailed, "", true};
      break;
    }
    struct pollfd p = {fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) {
      result = {Evaluation::kFailed, std::string("poll: ") + std::strerror(errno)};
      break;
    }
    if (ready <= 0) continue;
    char chunk[1 << 16];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      result = {Evaluation::kFailed, ""};  // the child died; waitpid says how
      break;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    // Handle every complete message in the buffer.
    while (!done && buffer.size() >= 9) {
      uint64_t len;
      std::memcpy(&len, buffer.data() + 1, 8);
      if (len > max_output) {
        result = {Evaluation::kFailed, "the output is larger than " + std::to_string(max_output) + " bytes"};
        done = true;
        break;
      }
      if (buffer.size() < 9 + len) break;
      char type = buffer[0];
      std::string payload = buffer.substr(9, len);
      buffer.erase(0, 9 + len);
      if (type == kImportRequest) {
        size_t sep = payload.find('\0');
        std::string found_here, content;
        bool found = ResolveImport(source, options, std::string_view(payload).substr(0, sep),
                                   std::string_view(payload).substr(sep + 1), found_here, content);
        bool sent = found ? SendMessage(fd, kImportFound, found_here, content, true)
                          : SendMessage(fd, kImportMissing, content);
        if (!sent) done = true;  // the child is gone; EOF and waitpid tell the rest
      } else {
        result = {type == kResultOk ? Evaluation::kOk : Evaluation::kJsonnetError, std::move(payload)};
        done = true;
      }
    }
  }
  // Whatever happened, the child goes now: it has sent its result, or it must stop.
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (result.kind == Evaluation::kFailed && !result.timed_out && result.text.empty()) {
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && options.jsonnet_max_memory_mb > 0)
      result.text = "the Jsonnet evaluator aborted; it most likely ran out of memory (jsonnet_max_memory_mb is " +
                    std::to_string(options.jsonnet_max_memory_mb) + ")";
    else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
      result.text = "the Jsonnet evaluator crashed (" + std::string(strsignal(WTERMSIG(status))) +
                    "); is the file nested too deeply?";
    else
      result.text = "the Jsonnet evaluator exited without a result (status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
  }
  return result;
}

Evaluation Evaluate(const Source& source, const std::string& path, const std::string& code,
                    const LoadOptions& options) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return {Evaluation::kFailed, std::string("socketpair: ") + std::strerror(errno)};
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return {Evaluation::kFailed, std::string("fork: ") + std::strerror(err)};
  }
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(fds[1], path, code, options);
  }
  ::close(fds[1]);
  Evaluation result = Supervise(fds[0], pid, source, options);
  ::close(fds[0]);
  return result;
}

// ---- Errors ----------------------------------------------------------------

struct JsonnetLocation {
  std::string file;
  uint32_t line = 0, col = 0;
  size_t end = 0;  // offset just past the location's text (range included)
};

// Reads "L:C" at s[i] into line/col; returns the offset past it, or npos.
size_t ParseLineCol(std::string_view s, size_t i, uint32_t& line, uint32_t& col) {
  auto number = [&](uint32_t& out) {
    size_t start = i;
    uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 9) v = v * 10 + static_cast<uint64_t>(s[i++] - '0');
    out = static_cast<uint32_t>(v);
    return i > start;
  };
  if (!number(line) || i >= s.size() || s[i] != ':') return std::string_view::npos;
  ++i;
  if (!number(col)) return std::string_view::npos;
  return i;
}

// Finds libjsonnet's "file:L:C", "file:L:C-E" or "file:(L:C)-(L:C)" at the
// start of s (file names may hold ':', so try each one).
std::optional<JsonnetLocation> ParseLocation(std::string_view s) {
  for (size_t colon = s.find(':'); colon != std::string_view::npos; colon = s.find(':', colon + 1)) {
    JsonnetLocation loc;
    size_t i = colon + 1;
    bool paren = i < s.size() && s[i] == '(';
    size_t end = ParseLineCol(s, paren ? i + 1 : i, loc.line, loc.col);
    if (end == std::string_view::npos || colon == 0) continue;
    if (paren && (end >= s.size() || s[end] != ')')) continue;
    i = paren ? end + 1 : end;
    if (i < s.size() && s[i] == '-') {  // the range's end: "-E" or "-(L:C)"
      ++i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '(' || s[i] == ')' || s[i] == ':'))
        ++i;
      if (i > 0 && s[i - 1] == ':') --i;  // the ": message" separator of a static error
    }
    loc.file = std::string(s.substr(0, colon));
    loc.end = i;
    return loc;
  }
  return std::nullopt;
}

bool IsStdlibFile(std::string_view file) {
  return file == "std.jsonnet" || (!file.empty() && file.front() == '<');
}

// Turns libjsonnet's error text into one diagnostic at the innermost location
// in the user's files (frames inside the standard library are skipped).
void ReportJsonnetError(const Source& source, const std::string& path, std::string_view text,
                        const LoadOptions& options, lang::Diagnostics& diags) {
  const std::string evaluated = source.DisplayPath(path);
  auto shown_name = [&](const std::string& file) { return file.front() == '/' ? file : source.DisplayPath(file); };
  std::string message;
  std::optional<JsonnetLocation> where;
  constexpr std::string_view kStatic = "STATIC ERROR: ", kRuntime = "RUNTIME ERROR: ";
  if (text.substr(0, kStatic.size()) == kStatic) {
    std::string_view rest = text.substr(kStatic.size());
    rest = rest.substr(0, rest.find('\n'));
    where = ParseLocation(rest);
    message = where ? std::string(rest.substr(std::min(rest.size(), where->end + 2))) : std::string(rest);
  } else {
    if (text.substr(0, kRuntime.size()) == kRuntime) text.remove_prefix(kRuntime.size());
    size_t trace = text.find("\n\t");
    std::string_view msg = text.substr(0, trace);
    for (char c : msg) message += c == '\n' ? ' ' : c;
    while (trace != std::string_view::npos) {
      size_t start = trace + 2, stop = text.find('\n', start);
      std::string_view frame = text.substr(start, stop == std::string_view::npos ? stop : stop - start);
      trace = stop;
      auto loc = ParseLocation(frame.substr(0, frame.find('\t')));
      if (loc && !IsStdlibFile(loc->file)) {
        where = loc;
        break;
      }
    }
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (message.rfind("max stack frames exceeded", 0) == 0)
    message += " (jsonnet_max_stack is " + std::to_string(options.jsonnet_max_stack) + "; infinite recursion?)";
  SourcePos pos{lang::InternFileName(evaluated), 0, 0};
  if (where) {
    std::string file = shown_name(where->file);
    pos = {lang::InternFileName(file), where->line, where->col};
    if (file != evaluated) message += " (evaluating " + evaluated + ")";
  }
  diags.Error(pos, internal::kCodeJsonnet, message);
}

// ---- Output ----------------------------------------------------------------

using Json = nlohmann::ordered_json;

// Returns false (and reports) when the output nests deeper than max_depth.
bool JsonToValue(Json&& j, SourcePos pos, uint32_t depth, const LoadOptions& options, Value& out,
                 lang::Diagnostics& diags) {
  if (depth > options.max_depth) {
    diags.Error(pos, internal::kCodeMaxDepth,
                "the Jsonnet output nests deeper than " + std::to_string(options.max_depth) + " levels (max_depth)");
    return false;
  }
  switch (j.type()) {
    case Json::value_t::null: out = Value::Null(pos); return true;
    case Json::value_t::boolean: out = Value::Bool(j.get<bool>(), pos); return true;
    case Json::value_t::number_integer: out = Value::Int(j.get<int64_t>(), pos); return true;
    case Json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      out = u <= static_cast<uint64_t>(INT64_MAX) ? Value::Int(static_cast<int64_t>(u), pos)
                                                   : Value::Float(static_cast<double>(u), pos);
      return true;
    }
    case Json::value_t::number_float: out = Value::Float(j.get<double>(), pos); return true;
    case Json::value_t::string: out = Value::String(std::move(j.get_ref<std::string&>()), pos); return true;
    case Json::value_t::array: {
      Value::List list;
      list.reserve(j.size());
      for (Json& item : j) {
        if (!JsonToValue(std::move(item), pos, depth + 1, options, list.emplace_back(), diags)) return false;
      }
      out = Value::MakeList(std::move(list), pos);
      return true;
    }
    case Json::value_t::object: {
      Value::Map map;
      map.reserve(j.size());
      for (auto& [key, item] : j.items()) {
        map.emplace_back(key, Value());
        if (!JsonToValue(std::move(item), pos, depth + 1, options, map.back().second, diags)) return false;
      }
      out = Value::MakeMap(std::move(map), pos);
      return true;
    }
    default: out = Value::Null(pos); return true;  // binary/discarded: not produced by Jsonnet
  }
}

// kubecfg's convention: a manifest (an object with apiVersion or kind), an
// array of them, or an object whose fields hold them, recursively.
void CollectManifests(Value v, const std::string& where, std::vector<Manifest>& out, lang::Diagnostics& diags) {
  const std::string name = where.empty() ? "the Jsonnet output" : "the Jsonnet output at " + where;
  if (v.is_map()) {
    if (v.Find("apiVersion") || v.Find("kind")) {
      internal::AppendManifest(std::move(v), name, out, diags);
      return;
    }
    for (auto& [key, child] : v.as_map()) CollectManifests(std::move(child), where + "." + key, out, diags);
  } else if (v.is_list()) {
    auto& list = v.as_list();
    for (size_t i = 0; i < list.size(); ++i)
      CollectManifests(std::move(list[i]), where + "[" + std::to_string(i) + "]", out, diags);
  } else if (!v.is_null()) {
    diags.Error(v.pos(), internal::kCodeJsonnetOutput,
                name + " is a " + std::string(v.KindName()) +
                    "; expected a manifest, an array of manifests, or an object of them");
  }
}

}  // namespace

std::vector<Manifest> LoadJsonnet(const Source& source, const std::string& path, const LoadOptions& options,
                                  lang::Diagnostics& diags) {
  const std::string shown = source.DisplayPath(path);
  const SourcePos file_pos{lang::InternFileName(shown), 0, 0};
  std::vector<Manifest> out;
  Result<std::string> code = source.ReadFile(path, options.max_file_bytes);
  if (!code.ok()) {
    diags.Error(file_pos, code.status().IsResourceExhausted() ? internal::kCodeFileTooLarge : internal::kCodeFileRead,
                internal::MessageWithoutPath(code.status().message(), shown));
    return out;
  }
  if (size_t bad = internal::FindInvalidUtf8(*code); bad != std::string::npos) {
    diags.Error(internal::PosAtOffset(file_pos.file, *code, bad), internal::kCodeNotUtf8, "file is not valid UTF-8");
    return out;
  }
  Evaluation ev = Evaluate(source, path, *code, options);
  if (ev.kind == Evaluation::kJsonnetError) {
    ReportJsonnetError(source, path, ev.text, options, diags);
    return out;
  }
  if (ev.kind == Evaluation::kFailed) {
    if (ev.timed_out)
      diags.Error(file_pos, internal::kCodeJsonnetTimeout,
                  "evaluation took longer than " + std::to_string(options.jsonnet_timeout_ms) +
                      " ms (jsonnet_timeout_ms) and was stopped");
    else
      diags.Error(file_pos, internal::kCodeJsonnet, ev.text);
    return out;
  }
  Json json = Json::parse(ev.text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    diags.Error(file_pos, internal::kCodeJsonnetOutput, "libjsonnet produced output that is not JSON");
    return out;
  }
  std::string().swap(ev.text);
  Value value;
  if (!JsonToValue(std::move(json), file_pos, 1, options, value, diags)) return out;
  CollectManifests(std::move(value), "", out, diags);
  return out;
}

}  // namespace gorch::compiler
