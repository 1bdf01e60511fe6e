// gorch state: look inside the state store, in the spirit of etcdctl.
//
//   gorch state get KEY [--prefix] [--rev N] [--limit N] [--keys-only] [--count]
//   gorch state put KEY [VALUE] [--lease ID]       (no VALUE: read stdin)
//   gorch state del KEY [--prefix]
//   gorch state ls [PREFIX] [--rev N]
//   gorch state watch [KEY] [--prefix] [--rev N] [--count N] [--timeout SECONDS]
//   gorch state compact REV
//   gorch state stats
// each with --state DIR (the LMDB store) or --etcd ENDPOINTS, and -o text|json.
#ifdef HAVE_GORCH_STORE

#include <chrono>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.h"
#include "gorch/store/etcd_store.h"
#include "gorch/store/lmdb_store.h"
#include "gorch/store/store.h"

namespace gorch::cli {
namespace {

using store::Store;

struct StateArgs {
  std::string dir;
  std::string etcd;
  std::string output = "text";
  // Per-verb arguments; each verb reads only its own.
  std::string key;
  std::string value;
  bool value_given = false;
  bool prefix = false;
  int64_t revision = 0;
  int64_t limit = 0;
  bool keys_only = false;
  bool count_only = false;
  int64_t lease = 0;
  int64_t max_events = 0;
  double timeout_s = 0;
};

int Fail(const Status& s) {
  std::cerr << "gorch state: error: " << s.ToString() << "\n";
  return kExitError;
}

Result<std::unique_ptr<Store>> OpenStore(const StateArgs& a, bool create) {
  if (!a.etcd.empty()) {
    store::EtcdOptions o;
    o.endpoints = a.etcd;
    return store::OpenEtcdStore(o);
  }
  if (a.dir.empty()) return Status::InvalidArgument("give the store: --state DIR or --etcd ENDPOINTS");
  store::LmdbOptions o;
  o.dir = a.dir;
  o.create_if_missing = create;
  return store::OpenLmdbStore(o);
}

bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80                ? 0
               : c >= 0xc2 && c <= 0xdf ? 1
               : c >= 0xe0 && c <= 0xef ? 2
               : c >= 0xf0 && c <= 0xf4 ? 3
                                        : std::string::npos;
    if (n == std::string::npos || s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

// JSON text; bytes that are not UTF-8 after all are replaced rather than thrown on.
std::string Dump(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Bytes as a JSON string when they are UTF-8; otherwise base64 under name + "_base64".
void PutBytes(nlohmann::json& j, const char* name, const std::string& bytes) {
  if (ValidUtf8(bytes)) {
    j[name] = bytes;
  } else {
    j[std::string(name) + "_base64"] = Base64(bytes);
  }
}

nlohmann::json ToJson(const store::KeyValue& kv, bool with_value) {
  nlohmann::json j;
  PutBytes(j, "key", kv.key);
  if (with_value) PutBytes(j, "value", kv.value);
  j["create_revision"] = kv.create_revision;
  j["mod_revision"] = kv.mod_revision;
  j["version"] = kv.version;
  j["lease"] = kv.lease;
  return j;
}

int RunGet(const StateArgs& a) {
  auto s = OpenStore(a, false);
  if (!s.ok()) return Fail(s.status());
  store::RangeRequest req = a.prefix ? store::RangeRequest::Prefix(a.key, a.revision)
                                     : store::RangeRequest::Key(a.key, a.revision);
  req.limit = a.limit;
  req.keys_only = a.keys_only;
  req.count_only = a.count_only;
  auto r = (*s)->Range(req);
  if (!r.ok()) return Fail(r.status());
  if (a.output == "json") {
    nlohmann::json j = {{"revision", r->revision}, {"count", r->count}, {"more", r->more}};
    j["kvs"] = nlohmann::json::array();
    for (const auto& kv : r->kvs) j["kvs"].push_back(ToJson(kv, !a.keys_only));
    std::cout << Dump(j, 2) << "\n";
  } else if (a.count_only) {
    std::cout << r->count << "\n";
  } else if (!a.prefix) {
    if (r->kvs.empty()) return Fail(Status::NotFound("key " + a.key + " not found"));
    if (a.keys_only) {
      std::cout << r->kvs[0].key << "\n";
    } else {
      std::cout << r->kvs[0].value << "\n";
    }
  } else {
    for (const auto& kv : r->kvs) {
      std::cout << kv.key << "\n";
      if (!a.keys_only) std::cout << kv.value << "\n";
    }
  }
  return kExitOk;
}

int RunPut(const StateArgs& a) {
  std::string value = a.value;
  if (!a.value_given) value.assign(std::istreambuf_iterator<char>(std::cin), {});
  auto s = OpenStore(a, true);
  if (!s.ok()) return Fail(s.status());
  auto r = (*s)->Put(a.key, value, a.lease);
  if (!r.ok()) return Fail(r.status());
  if (a.output == "json") {
    std::cout << nlohmann::json{{"revision", *r}}.dump() << "\n";
  } else {
    std::cout << "OK revision " << *r << "\n";
  }
  return kExitOk;
}

int RunDel(const StateArgs& a) {
  auto s = OpenStore(a, false);
  if (!s.ok()) return Fail(s.status());
  auto r = (*s)->Delete(a.prefix ? store::DeleteRequest::Prefix(a.key) : store::DeleteRequest::Key(a.key));
  if (!r.ok()) return Fail(r.status());
  if (a.output == "json") {
    std::cout << nlohmann::json{{"deleted", r->deleted}, {"revision", r->revision}}.dump() << "\n";
  } else {
    std::cout << "deleted " << r->deleted << " (revision " << r->revision << ")\n";
  }
  return kExitOk;
}

int RunLs(const StateArgs& a) {
  auto s = OpenStore(a, false);
  if (!s.ok()) return Fail(s.status());
  auto r = (*s)->Range(store::RangeRequest::Prefix(a.key, a.revision));
  if (!r.ok()) return Fail(r.status());
  if (a.output == "json") {
    nlohmann::json j = {{"revision", r->revision}, {"keys", nlohmann::json::array()}};
    for (const auto& kv : r->kvs) {
      nlohmann::json k = ToJson(kv, false);
      k["size"] = kv.value.size();
      j["keys"].push_back(k);
    }
    std::cout << Dump(j, 2) << "\n";
    return kExitOk;
  }
  std::cout << std::left << std::setw(48) << "KEY" << std::right << std::setw(10) << "MOD_REV" << std::setw(9)
            << "VERSION" << std::setw(10) << "SIZE" << "  LEASE\n";
  for (const auto& kv : r->kvs) {
    std::cout << std::left << std::setw(48) << kv.key << std::right << std::setw(10) << kv.mod_revision
              << std::setw(9) << kv.version << std::setw(10) << kv.value.size() << "  "
              << (kv.lease != 0 ? std::to_string(kv.lease) : "-") << "\n";
  }
  std::cout << r->kvs.size() << " keys at revision " << r->revision << "\n";
  return kExitOk;
}

int RunWatch(const StateArgs& a) {
  auto s = OpenStore(a, false);
  if (!s.ok()) return Fail(s.status());
  store::WatchRequest req;
  if (a.prefix || a.key.empty()) {
    req = store::WatchRequest::Prefix(a.key, a.revision);
  } else {
    req.key = a.key;
    req.start_revision = a.revision;
  }
  auto w = (*s)->Watch(req);
  if (!w.ok()) return Fail(w.status());
  using Clock = std::chrono::steady_clock;
  const bool bounded = a.timeout_s > 0;
  const auto deadline = Clock::now() + std::chrono::milliseconds(int64_t(a.timeout_s * 1000));
  int64_t seen = 0;
  while (a.max_events == 0 || seen < a.max_events) {
    auto wait = std::chrono::milliseconds(200);
    if (bounded) {
      if (Clock::now() >= deadline) break;
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    }
    auto events = (*w)->Next(wait);
    if (!events.ok()) return Fail(events.status());
    for (const auto& e : *events) {
      const char* type = e.type == store::EventType::kPut ? "PUT" : "DELETE";
      if (a.output == "json") {
        nlohmann::json j = ToJson(e.kv, e.type == store::EventType::kPut);
        j["type"] = type;
        std::cout << Dump(j) << std::endl;
      } else {
        std::cout << type << " " << e.kv.key << " (revision " << e.kv.mod_revision << ")\n";
        if (e.type == store::EventType::kPut) std::cout << e.kv.value << "\n";
        std::cout << std::flush;
      }
      if (a.max_events != 0 && ++seen >= a.max_events) break;
    }
  }
  return kExitOk;
}

int RunCompact(const StateArgs& a) {
  auto s = OpenStore(a, false);
  if (!s.ok()) return Fail(s.status());
  Status c = (*s)->Compact(a.revision);
  if (!c.ok()) return Fail(c);
  std::cout << "compacted history below revision " << a.revision << "\n";
  return kExitOk;
}

int RunStats(const StateArgs& a) {
  auto s = OpenStore(a, false);
  if (!s.ok()) return Fail(s.status());
  auto st = (*s)->Stats();
  if (!st.ok()) return Fail(st.status());
  if (a.output == "json") {
    std::cout << nlohmann::json{{"backend", st->backend},
                                {"location", st->location},
                                {"revision", st->revision},
                                {"compact_revision", st->compact_revision},
                                {"keys", st->keys},
                                {"size_bytes", st->size_bytes},
                                {"leases", st->leases}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << "backend:          " << st->backend << "\n"
            << "location:         " << st->location << "\n"
            << "revision:         " << st->revision << "\n"
            << "compact revision: "
            << (st->compact_revision < 0 ? std::string("unknown") : std::to_string(st->compact_revision)) << "\n"
            << "keys:             " << st->keys << "\n"
            << "size:             " << st->size_bytes << " bytes\n"
            << "leases:           " << st->leases << "\n";
  return kExitOk;
}

// --state / --etcd / -o on every verb, so they may come before or after it.
void AddBackendFlags(CLI::App* cmd, StateArgs& a) {
  auto* dir = cmd->add_option("--state", a.dir, "Data directory of the embedded (LMDB) store");
  auto* etcd = cmd->add_option("--etcd", a.etcd, "etcd client endpoints, comma-separated (host:port)");
  dir->excludes(etcd);
  cmd->add_option("-o,--output", a.output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

CLI::App* AddVerb(CLI::App* parent, const char* name, const char* help, StateArgs& a, RunState& state,
                  int (*run)(const StateArgs&)) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  AddBackendFlags(cmd, a);
  cmd->callback([&a, &state, run] { state.exit_code = run(a); });
  return cmd;
}

void AddStateCommand(CLI::App& app, RunState& state) {
  static StateArgs a;  // lives as long as the parse
  CLI::App* cmd = app.add_subcommand("state", "Look inside the state store (LMDB directory or etcd)");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  gorch state ls /pods/ --state /var/lib/gorch\n"
      "  gorch state get /nodes/ --prefix -o json --etcd 127.0.0.1:2379\n"
      "  echo '{\"phase\":\"Running\"}' | gorch state put /pods/default/web-0 --state ./data\n"
      "  gorch state watch /pods/ --prefix --rev 1 --count 10 --state ./data");
  AddBackendFlags(cmd, a);

  CLI::App* get = AddVerb(cmd, "get", "Print a key's value (or a range's keys and values)", a, state, RunGet);
  get->add_option("key", a.key, "Key (or prefix with --prefix)")->required();
  get->add_flag("--prefix", a.prefix, "Every key starting with KEY");
  get->add_option("--rev", a.revision, "Read at this past revision");
  get->add_option("--limit", a.limit, "At most this many keys");
  get->add_flag("--keys-only", a.keys_only, "Keys without values");
  get->add_flag("--count", a.count_only, "Only count the keys");

  CLI::App* put = AddVerb(cmd, "put", "Write a key (the value from stdin if not given)", a, state, RunPut);
  put->add_option("key", a.key, "Key")->required();
  put->add_option("value", a.value, "Value")->each([&](const std::string&) { a.value_given = true; });
  put->add_option("--lease", a.lease, "Attach to this lease");

  CLI::App* del = AddVerb(cmd, "del", "Delete a key (or every key with a prefix)", a, state, RunDel);
  del->add_option("key", a.key, "Key (or prefix with --prefix)")->required();
  del->add_flag("--prefix", a.prefix, "Every key starting with KEY");

  CLI::App* ls = AddVerb(cmd, "ls", "List keys under a prefix with their revisions", a, state, RunLs);
  ls->add_option("prefix", a.key, "Prefix (default: every key)");
  ls->add_option("--rev", a.revision, "List at this past revision");

  CLI::App* watch = AddVerb(cmd, "watch", "Print changes as they happen", a, state, RunWatch);
  watch->add_option("key", a.key, "Key (or prefix with --prefix; default: every key)");
  watch->add_flag("--prefix", a.prefix, "Every key starting with KEY");
  watch->add_option("--rev", a.revision, "Start at this revision (replaying history)");
  watch->add_option("--count", a.max_events, "Stop after this many events");
  watch->add_option("--timeout", a.timeout_s, "Stop after this many seconds");

  CLI::App* compact = AddVerb(cmd, "compact", "Drop history below a revision", a, state, RunCompact);
  compact->add_option("revision", a.revision, "Revision")->required();

  AddVerb(cmd, "stats", "Revision, key count, size, leases", a, state, RunStats);
}

const bool registered = RegisterCommand("state", &AddStateCommand);

}  // namespace
}  // namespace gorch::cli

#endif  // HAVE_GORCH_STORE
