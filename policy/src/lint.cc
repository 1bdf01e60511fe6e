// The lint engine: policies over resources, in parallel over resources.
#include "gorch/policy/lint.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <thread>

#include "bindings.h"
#include "gorch/lang/eval.h"
#include "suggest_name.h"

namespace gorch::policy {

using lang::Value;

bool AtLeast(lang::Severity s, lang::Severity threshold) {
  // kError < kWarning < kInfo in the enum: lower is more severe.
  return static_cast<int>(s) <= static_cast<int>(threshold);
}

namespace {

const Value kNull;

// An evaluation error of one policy on one resource.
struct EvalError {
  std::string check;
  lang::SourcePos pos;
  std::string message;
  compiler::ResourceId resource;
};

struct WorkerOut {
  std::vector<Finding> findings;
  std::vector<EvalError> errors;
  size_t evaluations = 0;
};

// What one policy's evaluation over one resource needs.
class RuleRunner {
 public:
  RuleRunner(const Check& check, const internal::ResourceBindings& base, const compiler::Resource& r,
             WorkerOut& out)
      : check_(check), resource_(r), out_(out) {
    bindings_ = base.For(check.needs);
    scope_.self = &r.object;
  }

  void Run() {
    for (const lang::PolicyStep& step : check_.policy.steps) {
      if (const auto* let = std::get_if<lang::PolicyLet>(&step)) {
        lang::SourcePos at;
        auto v = lang::Evaluate(*let->value, Scope(), &at);
        if (!v.ok()) {
          Fail(at, v.status().message());
          return;
        }
        owned_.push_back(std::move(*v));
        bindings_.push_back({let->name, &owned_.back()});
        continue;
      }
      if (!RunRule(std::get<lang::PolicyRule>(step), 0)) return;
    }
  }

 private:
  const lang::EvalScope& Scope() {
    scope_.bindings = bindings_;
    return scope_;
  }

  bool Fail(lang::SourcePos at, std::string message) {
    out_.errors.push_back({check_.policy.name, at, std::move(message), resource_.id});
    return false;
  }

  // The value of a name or a field path without copying it; anything else is
  // evaluated into owned_.
  const Value* Resolve(const lang::Expr& e, bool* ok) {
    switch (e.kind) {
      case lang::ExprKind::kSelf:
        return scope_.self;
      case lang::ExprKind::kIdent:
        if (e.slot < 0) {
          for (const lang::Binding& b : bindings_)
            if (b.name == e.name) return b.value;
          const Value* f = scope_.self->Find(e.name);
          return f ? f : &kNull;
        }
        break;
      case lang::ExprKind::kField: {
        const Value* base = Resolve(*e.args[0], ok);
        if (!*ok) return nullptr;
        if (base->is_null()) return &kNull;
        if (base->is_map()) {
          const Value* f = base->Find(e.name);
          return f ? f : &kNull;
        }
        break;
      }
      default:
        break;
    }
    lang::SourcePos at;
    auto v = lang::Evaluate(e, Scope(), &at);
    if (!v.ok()) {
      *ok = false;
      Fail(at, v.status().message());
      return nullptr;
    }
    owned_.push_back(std::move(*v));
    return &owned_.back();
  }

  bool RunRule(const lang::PolicyRule& rule, size_t depth) {
    if (depth == rule.loops.size()) {
      ++out_.evaluations;
      lang::SourcePos at;
      auto hit = lang::EvaluateBool(*rule.condition, Scope(), &at);
      if (!hit.ok()) return Fail(at, hit.status().message());
      if (*hit) Report(rule);
      return true;
    }
    const lang::PolicyLoop& loop = rule.loops[depth];
    bool ok = true;
    size_t owned_before = owned_.size();
    const Value* list = Resolve(*loop.list, &ok);
    if (!ok) return false;
    bool result = true;
    if (list->is_list()) {
      for (const Value& item : list->as_list()) {
        bindings_.push_back({loop.var, &item});
        result = RunRule(rule, depth + 1);
        bindings_.pop_back();
        if (!result) break;
      }
    } else if (list->is_map()) {
      for (const auto& [key, value] : list->as_map()) {
        owned_.push_back(Value::String(key, value.pos()));
        bindings_.push_back({loop.var, &owned_.back()});
        result = RunRule(rule, depth + 1);
        bindings_.pop_back();
        if (!result) break;
      }
    } else if (!list->is_null()) {
      result = Fail(loop.list->pos, "for needs a list or a map, got " + std::string(list->KindName()));
    }
    owned_.resize(owned_before);
    return result;
  }

  void Report(const lang::PolicyRule& rule) {
    Finding f;
    f.check = check_.policy.name;
    f.severity = check_.severity;
    f.resource = resource_.id;
    f.pos = resource_.pos;
    // The innermost loop value, then `at`, if they know where they were written.
    for (const lang::PolicyLoop& loop : rule.loops) {
      for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it) {
        if (it->name == loop.var) {
          if (it->value->pos().known()) f.pos = it->value->pos();
          break;
        }
      }
    }
    if (rule.at) {
      bool ok = true;
      size_t before = owned_.size();
      const Value* v = Resolve(*rule.at, &ok);
      if (ok && v->pos().known()) f.pos = v->pos();
      owned_.resize(before);
    }
    for (const auto& part : rule.message.parts) {
      if (!part.expr) {
        f.message += part.text;
        continue;
      }
      lang::SourcePos at;
      auto v = lang::Evaluate(*part.expr, Scope(), &at);
      if (!v.ok()) {
        Fail(at, v.status().message());
        f.message += "<?>";
      } else {
        f.message += v->is_string() ? v->as_string() : v->ToJson();
      }
    }
    out_.findings.push_back(std::move(f));
  }

  const Check& check_;
  const compiler::Resource& resource_;
  WorkerOut& out_;
  std::vector<lang::Binding> bindings_;
  std::deque<Value> owned_;  // stable addresses for bindings
  lang::EvalScope scope_;
};

// Matching by kind is an index; namespaces and labels are checked per resource.
class Matcher {
 public:
  explicit Matcher(const PolicySet& set) {
    const auto& checks = set.checks();
    for (size_t i = 0; i < checks.size(); ++i) {
      const Check& c = checks[i];
      if (!c.enabled) continue;
      if (c.policy.kinds.empty()) any_kind_.push_back(&c);
      for (const std::string& k : c.policy.kinds) by_kind_[k].push_back(&c);
    }
  }

  // The enabled checks that match r, in pack order.
  void Match(const compiler::Resource& r, std::vector<const Check*>& out) const {
    out.clear();
    auto it = by_kind_.find(r.id.kind);
    if (it != by_kind_.end()) out = it->second;
    out.insert(out.end(), any_kind_.begin(), any_kind_.end());
    const Value* labels = r.object.FindPath("metadata.labels");
    std::erase_if(out, [&](const Check* c) {
      const auto& ns = c->policy.namespaces;
      if (!ns.empty() && std::find(ns.begin(), ns.end(), r.id.namespace_) == ns.end()) return true;
      for (const auto& [k, v] : c->policy.labels) {
        const Value* have = labels ? labels->Find(k) : nullptr;
        if (!have || !have->is_string() || have->as_string() != v) return true;
      }
      return false;
    });
  }

 private:
  std::map<std::string, std::vector<const Check*>, std::less<>> by_kind_;
  std::vector<const Check*> any_kind_;
};

// Reads the waivers of r: waived check names; bad waivers become findings.
void ReadWaivers(const compiler::Resource& r, const PolicySet& set, std::vector<std::string_view>& waived,
                 WorkerOut& out) {
  waived.clear();
  const Value* annotations = r.object.FindPath("metadata.annotations");
  if (!annotations || !annotations->is_map()) return;
  for (const auto& [key, value] : annotations->as_map()) {
    if (key.compare(0, kWaiverPrefix.size(), kWaiverPrefix) != 0) continue;
    std::string_view name = std::string_view(key).substr(kWaiverPrefix.size());
    std::string reason = value.is_string() ? value.as_string() : "";
    reason.erase(0, reason.find_first_not_of(" \t\n"));
    Finding f;
    f.check = std::string(kInvalidWaiverCheck);
    f.resource = r.id;
    f.pos = value.pos().known() ? value.pos() : r.pos;
    if (!set.Find(name)) {
      f.severity = lang::Severity::kWarning;
      f.message = "waiver \"" + key + "\" names no check" + set.Suggest(name);
      out.findings.push_back(std::move(f));
    } else if (reason.empty()) {
      f.severity = lang::Severity::kError;
      f.message = "waiver of \"" + std::string(name) +
                  "\" has no reason, so it does not apply; write why as the annotation's value";
      out.findings.push_back(std::move(f));
    } else {
      waived.push_back(name);
    }
  }
}

void LintRange(const compiler::DesiredState& state, const std::vector<compiler::Resource>& unchecked,
               const internal::Graph& graph, const PolicySet& set, const Matcher& matcher, size_t begin,
               size_t end, WorkerOut& out) {
  std::vector<const Check*> matched;
  std::vector<std::string_view> waived;
  const size_t n = state.resources.size();
  for (size_t i = begin; i < end; ++i) {
    const bool in_graph = i < n;
    const compiler::Resource& r = in_graph ? state.resources[i] : unchecked[i - n];
    matcher.Match(r, matched);
    ReadWaivers(r, set, waived, out);
    if (matched.empty()) continue;
    uint32_t needs = 0;
    for (const Check* c : matched) needs |= c->needs;
    internal::ResourceBindings base(r, in_graph ? &state : nullptr, in_graph ? i : 0, graph, needs);
    for (const Check* c : matched) {
      if (std::find(waived.begin(), waived.end(), c->policy.name) != waived.end()) continue;
      RuleRunner(*c, base, r, out).Run();
    }
  }
}

// Evaluation errors: the first per (check, position), with a count of the rest.
void ReportErrors(std::vector<EvalError>& errors, lang::Diagnostics& diags) {
  std::map<std::pair<std::string, std::string>, std::pair<const EvalError*, size_t>> first;
  std::vector<std::pair<std::string, std::string>> order;
  for (const EvalError& e : errors) {
    auto key = std::make_pair(e.check, e.pos.ToString() + e.message);
    auto [it, fresh] = first.emplace(key, std::make_pair(&e, 0));
    if (fresh) order.push_back(key);
    ++it->second.second;
  }
  for (const auto& key : order) {
    const auto& [e, count] = first[key];
    std::string more = count > 1 ? " (and " + std::to_string(count - 1) + " more resources)" : "";
    diags.Error(e->pos, "policy-eval",
                "policy \"" + e->check + "\" on " + e->resource.ToString() + ": " + e->message + more);
  }
}

}  // namespace

LintResult Lint(const compiler::DesiredState& state, const std::vector<compiler::Resource>& unchecked,
                const PolicySet& policies, const LintOptions& options) {
  LintResult result;
  const size_t total = state.resources.size() + unchecked.size();
  result.resources = total;
  internal::Graph graph(state);
  Matcher matcher(policies);
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, total / 256)));
  std::vector<WorkerOut> outs(threads);
  if (threads == 1) {
    LintRange(state, unchecked, graph, policies, matcher, 0, total, outs[0]);
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        LintRange(state, unchecked, graph, policies, matcher, total * t / threads, total * (t + 1) / threads,
                  outs[t]);
      });
    for (auto& th : pool) th.join();
  }
  std::vector<EvalError> errors;
  for (WorkerOut& o : outs) {
    result.evaluations += o.evaluations;
    std::move(o.findings.begin(), o.findings.end(), std::back_inserter(result.findings));
    std::move(o.errors.begin(), o.errors.end(), std::back_inserter(errors));
  }
  std::stable_sort(result.findings.begin(), result.findings.end(), [](const Finding& a, const Finding& b) {
    int c = std::strcmp(a.pos.file, b.pos.file);
    if (c != 0) return c < 0;
    if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
    if (a.pos.col != b.pos.col) return a.pos.col < b.pos.col;
    return a.check < b.check;
  });
  ReportErrors(errors, result.diags);
  return result;
}

}  // namespace gorch::policy
