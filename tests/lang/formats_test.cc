// Quantities, durations, string formats and patterns (gorch/lang/formats.h).
#include "gorch/lang/formats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

namespace gorch::lang {
namespace {

struct QuantityCase {
  const char* text;
  std::optional<double> want;
};

TEST(ParseQuantityTest, Table) {
  const QuantityCase cases[] = {
      {"0", 0.0},
      {"2", 2.0},
      {"-1", -1.0},
      {"+3", 3.0},
      {"1.5", 1.5},
      {".5", 0.5},
      {"5.", 5.0},
      {"100m", 0.1},
      {"250m", 0.25},
      {"1n", 1e-9},
      {"3u", 3e-6},
      {"1k", 1000.0},
      {"1M", 1e6},
      {"1G", 1e9},
      {"2T", 2e12},
      {"1P", 1e15},
      {"1E", 1e18},
      {"1Ki", 1024.0},
      {"64Mi", 67108864.0},
      {"1.5Gi", 1610612736.0},
      {"1Ti", 1099511627776.0},
      {"1Pi", 1125899906842624.0},
      {"1Ei", 1152921504606846976.0},
      {"1e3", 1000.0},
      {"1E3", 1000.0},
      {"1e+3", 1000.0},
      {"5e-1", 0.5},
      {"-100m", -0.1},
      {"", std::nullopt},
      {"-", std::nullopt},
      {".", std::nullopt},
      {"m", std::nullopt},
      {"Mi", std::nullopt},
      {"1K", std::nullopt},   // kilo is lower case
      {"1kb", std::nullopt},
      {"1mi", std::nullopt},
      {"1Gb", std::nullopt},
      {"1 Gi", std::nullopt},
      {" 1", std::nullopt},
      {"1 ", std::nullopt},
      {"1e", std::nullopt},   // an exponent needs digits ("1E" alone is exa)
      {"1e-", std::nullopt},
      {"1.2.3", std::nullopt},
      {"--1", std::nullopt},
      {"0x10", std::nullopt},
      {"1e400", std::nullopt},  // does not fit a double
      {"abc", std::nullopt},
  };
  for (const auto& c : cases) {
    auto got = ParseQuantity(c.text);
    ASSERT_EQ(got.has_value(), c.want.has_value()) << "'" << c.text << "'";
    if (c.want) {
      EXPECT_DOUBLE_EQ(*got, *c.want) << "'" << c.text << "'";
    }
  }
}

struct DurationCase {
  const char* text;
  std::optional<int64_t> want_ms;
};

TEST(ParseDurationTest, Table) {
  const DurationCase cases[] = {
      {"0", 0},
      {"-0", 0},
      {"10s", 10000},
      {"5m", 300000},
      {"1h", 3600000},
      {"1h30m", 5400000},
      {"2h45m30s", 9930000},
      {"250ms", 250},
      {"1.5s", 1500},
      {".5s", 500},
      {"1500us", 1},
      {"1500\xC2\xB5s", 1},  // µs
      {"999999ns", 0},       // below a millisecond truncates
      {"-1s", -1000},
      {"+2s", 2000},
      {"1m0.5s", 60500},
      {"", std::nullopt},
      {"10", std::nullopt},  // a unit is required except for "0"
      {"1d", std::nullopt},  // Go has no days
      {"1S", std::nullopt},
      {"s", std::nullopt},
      {"1h 30m", std::nullopt},
      {"-", std::nullopt},
      {"1.s.", std::nullopt},
      {"9999999999999h", std::nullopt},  // overflows int64 nanoseconds
  };
  for (const auto& c : cases) {
    auto got = ParseDurationMillis(c.text);
    ASSERT_EQ(got.has_value(), c.want_ms.has_value()) << "'" << c.text << "'";
    if (c.want_ms) {
      EXPECT_EQ(*got, *c.want_ms) << "'" << c.text << "'";
    }
  }
}

struct FormatCase {
  StringFormat format;
  std::string text;
  bool ok;
  const char* why_contains = "";
};

TEST(MatchesFormatTest, Table) {
  const std::string l63(63, 'a');
  const std::string l64(64, 'a');
  const FormatCase cases[] = {
      {StringFormat::kNone, "Anything at all!", true},
      {StringFormat::kDns1123Label, "web", true},
      {StringFormat::kDns1123Label, "web-0", true},
      {StringFormat::kDns1123Label, "0", true},
      {StringFormat::kDns1123Label, "123-abc", true},
      {StringFormat::kDns1123Label, l63, true},
      {StringFormat::kDns1123Label, l64, false, "no more than 63"},
      {StringFormat::kDns1123Label, "", false, "lower case alphanumeric"},
      {StringFormat::kDns1123Label, "Web", false, "lower case alphanumeric"},
      {StringFormat::kDns1123Label, "-web", false, "start and end"},
      {StringFormat::kDns1123Label, "web-", false, "start and end"},
      {StringFormat::kDns1123Label, "a.b", false},
      {StringFormat::kDns1123Label, "a_b", false},
      {StringFormat::kDns1123Subdomain, "example.com", true},
      {StringFormat::kDns1123Subdomain, "my-config", true},
      {StringFormat::kDns1123Subdomain, l64 + ".x", true},  // labels are not limited to 63
      {StringFormat::kDns1123Subdomain, std::string(254, 'a'), false, "no more than 253"},
      {StringFormat::kDns1123Subdomain, "a..b", false},
      {StringFormat::kDns1123Subdomain, ".a", false},
      {StringFormat::kDns1123Subdomain, "a.", false},
      {StringFormat::kDns1123Subdomain, "A.b", false},
      {StringFormat::kDns1123Subdomain, "", false},
      {StringFormat::kLabelKey, "app", true},
      {StringFormat::kLabelKey, "app.kubernetes.io/name", true},
      {StringFormat::kLabelKey, "My_Key.v1", true},
      {StringFormat::kLabelKey, "example.com/" + l63, true},
      {StringFormat::kLabelKey, "example.com/" + l64, false, "no more than 63"},
      {StringFormat::kLabelKey, "", false, "non-empty"},
      {StringFormat::kLabelKey, "/name", false, "prefix part must be non-empty"},
      {StringFormat::kLabelKey, "example.com/", false, "non-empty"},
      {StringFormat::kLabelKey, "a/b/c", false, "at most one '/'"},
      {StringFormat::kLabelKey, "Example.com/name", false, "prefix part"},
      {StringFormat::kLabelKey, "-app", false},
      {StringFormat::kLabelKey, "app name", false},
      {StringFormat::kLabelValue, "", true},
      {StringFormat::kLabelValue, "v1.2_3-x", true},
      {StringFormat::kLabelValue, l63, true},
      {StringFormat::kLabelValue, l64, false, "no more than 63"},
      {StringFormat::kLabelValue, "-x", false},
      {StringFormat::kLabelValue, "x.", false},
      {StringFormat::kLabelValue, "a/b", false},
      {StringFormat::kIanaSvcName, "http", true},
      {StringFormat::kIanaSvcName, "http-alt", true},
      {StringFormat::kIanaSvcName, "h2c", true},
      {StringFormat::kIanaSvcName, "abcdefghijklmno", true},
      {StringFormat::kIanaSvcName, "abcdefghijklmnop", false, "no more than 15"},
      {StringFormat::kIanaSvcName, "", false, "non-empty"},
      {StringFormat::kIanaSvcName, "8080", false, "at least one letter"},
      {StringFormat::kIanaSvcName, "-http", false, "hyphen"},
      {StringFormat::kIanaSvcName, "http-", false, "hyphen"},
      {StringFormat::kIanaSvcName, "a--b", false, "consecutive hyphens"},
      {StringFormat::kIanaSvcName, "HTTP", false, "lower case"},
      {StringFormat::kIanaSvcName, "a_b", false},
      {StringFormat::kPercent, "25%", true},
      {StringFormat::kPercent, "0%", true},
      {StringFormat::kPercent, "100%", true},
      {StringFormat::kPercent, "%", false, "percentage"},
      {StringFormat::kPercent, "25", false},
      {StringFormat::kPercent, "-5%", false},
      {StringFormat::kPercent, "2.5%", false},
      {StringFormat::kPercent, "", false},
  };
  for (const auto& c : cases) {
    std::string why;
    bool got = MatchesFormat(c.format, c.text, &why);
    EXPECT_EQ(got, c.ok) << FormatName(c.format) << " '" << c.text << "'";
    if (!c.ok) {
      EXPECT_FALSE(why.empty()) << FormatName(c.format) << " '" << c.text << "'";
      EXPECT_NE(why.find(c.why_contains), std::string::npos)
          << FormatName(c.format) << " '" << c.text << "': " << why;
    }
    EXPECT_EQ(MatchesFormat(c.format, c.text, nullptr), c.ok);  // why is optional
  }
}

TEST(FormatNameTest, RoundTrips) {
  for (auto f : {StringFormat::kDns1123Label, StringFormat::kDns1123Subdomain,
                 StringFormat::kLabelKey, StringFormat::kLabelValue, StringFormat::kIanaSvcName,
                 StringFormat::kPercent}) {
    auto back = ParseFormatName(FormatName(f));
    ASSERT_TRUE(back.has_value()) << FormatName(f);
    EXPECT_EQ(*back, f);
  }
  EXPECT_FALSE(ParseFormatName("email").has_value());
  EXPECT_FALSE(ParseFormatName("none").has_value());
}

TEST(MatchesPatternTest, WholeMatchOnly) {
  std::string error;
  EXPECT_TRUE(MatchesPattern("[a-z]+", "abc", &error));
  EXPECT_TRUE(error.empty());
  EXPECT_FALSE(MatchesPattern("[a-z]+", "abc1", &error));  // not a search
  EXPECT_TRUE(error.empty()) << "a plain mismatch is not an error";
  EXPECT_FALSE(MatchesPattern("b", "abc", &error));
  EXPECT_TRUE(MatchesPattern("(Memory|HugePages(-.+)?)?", "", nullptr));
  EXPECT_TRUE(MatchesPattern("(Memory|HugePages(-.+)?)?", "HugePages-2Mi", nullptr));
}

TEST(MatchesPatternTest, BadPatternIsAnErrorNotAnException) {
  std::string error;
  EXPECT_FALSE(MatchesPattern("([a-z", "a", &error));
  EXPECT_NE(error.find("invalid regular expression"), std::string::npos) << error;
  EXPECT_FALSE(ValidPattern("(", &error));
  EXPECT_TRUE(ValidPattern("a|b", &error));
}

TEST(MatchesPatternTest, LongInputsMatchWithoutExhaustingTheStack) {
  std::string error;
  std::string long_input(60000, 'a');
  EXPECT_TRUE(MatchesPattern("(a|b)*", long_input, &error)) << error;
  EXPECT_TRUE(MatchesPattern(".*a", long_input, &error)) << error;
  EXPECT_FALSE(MatchesPattern("(a|b)*c", long_input, &error));
  EXPECT_TRUE(error.empty()) << error;
  // Patterns that make a backtracking matcher take exponential time finish.
  EXPECT_FALSE(MatchesPattern("(a*)*b", std::string(40, 'a'), &error));
  EXPECT_FALSE(MatchesPattern("(a|b)*", std::string(70000, 'a'), &error));
  EXPECT_NE(error.find("too long"), std::string::npos);
}

TEST(MatchesPatternTest, BackReferencesAreRejected) {
  std::string error;
  EXPECT_FALSE(ValidPattern("(a)\\1", &error));
  EXPECT_NE(error.find("invalid regular expression"), std::string::npos) << error;
}

TEST(MatchesPatternTest, CacheIsPerThreadAndSafe) {
  std::vector<std::thread> threads;
  std::vector<int> hits(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &hits] {
      for (int i = 0; i < 300; ++i) {
        // More distinct patterns than the cache holds, so it is also cleared.
        std::string pattern = "x" + std::to_string(i) + "[0-9]*";
        if (MatchesPattern(pattern, "x" + std::to_string(i) + "42", nullptr)) ++hits[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int h : hits) EXPECT_EQ(h, 300);
}

}  // namespace
}  // namespace gorch::lang
