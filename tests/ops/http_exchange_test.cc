// The pure HTTP of the operations servers: partial input, oversize heads, bad request lines,
// methods and paths, and the bytes of a response.
#include "ops/http_exchange.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

namespace kubevip::ops {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseRequestHead, ACompleteGet) {
  RequestHead head = parseRequestHead("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  ASSERT_EQ(head.state, HeadState::kComplete) << head.error;
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.path, "/metrics");
}

TEST(ParseRequestHead, EveryPrefixOfAHeadIsIncomplete) {
  std::string full = "HEAD /livez?verbose=1 HTTP/1.0\r\nUser-Agent: probe\r\n\r\n";
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_EQ(parseRequestHead(full.substr(0, n)).state, HeadState::kIncomplete) << n;
  }
  RequestHead head = parseRequestHead(full);
  ASSERT_EQ(head.state, HeadState::kComplete);
  EXPECT_EQ(head.method, "HEAD");
  EXPECT_EQ(head.path, "/livez");  // the query is ignored
}

TEST(ParseRequestHead, BareLineFeedsAndLeadingEmptyLinesAreAccepted) {
  RequestHead head = parseRequestHead("\r\n\nGET /readyz HTTP/1.1\nHost: x\n\n");
  ASSERT_EQ(head.state, HeadState::kComplete) << head.error;
  EXPECT_EQ(head.path, "/readyz");
}

TEST(ParseRequestHead, AbsoluteFormTargetsGiveTheirPath) {
  EXPECT_EQ(parseRequestHead("GET http://node1:2112/metrics?x HTTP/1.1\r\n\r\n").path, "/metrics");
  EXPECT_EQ(parseRequestHead("GET http://node1:2112 HTTP/1.1\r\n\r\n").path, "/");
}

TEST(ParseRequestHead, AHeadLargerThanTheBoundIsRefusedWith431) {
  std::string head = "GET / HTTP/1.1\r\nX-Filler: " + std::string(9000, 'a');
  RequestHead parsed = parseRequestHead(head, 8192);
  EXPECT_EQ(parsed.state, HeadState::kRefused);
  EXPECT_EQ(parsed.error_status, 431);
  // Complete but too large, too.
  EXPECT_EQ(parseRequestHead(head + "\r\n\r\n", 8192).error_status, 431);
  // A request line that never ends.
  EXPECT_EQ(parseRequestHead("GET /" + std::string(9000, 'a'), 8192).error_status, 431);
}

TEST(ParseRequestHead, AHeadJustWithinTheBoundIsServed) {
  std::string head = "GET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(parseRequestHead(head, head.size()).state, HeadState::kComplete);
  EXPECT_EQ(parseRequestHead(head, head.size() - 1).error_status, 431);
}

TEST(ParseRequestHead, BadRequestLinesAreRefusedWith400) {
  const char* bad[] = {
      "GET\r\n\r\n",
      "GET /\r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1 extra\r\n\r\n",
      "GET / HTTX/1.1\r\n\r\n",
      "GET / HTTP/1\r\n\r\n",
      "G(T / HTTP/1.1\r\n\r\n",
      "GET metrics HTTP/1.1\r\n\r\n",
      "GET /a\x01 HTTP/1.1\r\n\r\n",
  };
  for (const char* request : bad) {
    RequestHead head = parseRequestHead(request);
    EXPECT_EQ(head.state, HeadState::kRefused) << request;
    EXPECT_EQ(head.error_status, 400) << request;
  }
}

TEST(ParseRequestHead, ABadRequestLineIsRefusedBeforeTheHeadEnds) {
  EXPECT_EQ(parseRequestHead("BAD REQUEST LINE HERE\r\nHost:").error_status, 400);
  // The start of a TLS ClientHello: refused before any line end arrives.
  EXPECT_EQ(parseRequestHead(std::string("\x16\x03\x01\x02\x00\x01\x00", 7)).error_status, 400);
}

TEST(ParseRequestHead, BadFieldLinesAreRefusedWith400) {
  constexpr char kNulInValueBytes[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
  const std::string kNulInValue(kNulInValueBytes, sizeof kNulInValueBytes - 1);
  EXPECT_EQ(parseRequestHead("GET / HTTP/1.1\r\nHost : x\r\n\r\n").error_status, 400);
  EXPECT_EQ(parseRequestHead("GET / HTTP/1.1\r\nno colon\r\n\r\n").error_status, 400);
  EXPECT_EQ(parseRequestHead("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n").error_status, 400);
  EXPECT_EQ(parseRequestHead(kNulInValue).error_status, 400);
}

TEST(ParseRequestHead, OtherMethodsAre405AndOtherVersions505) {
  EXPECT_EQ(parseRequestHead("POST /metrics HTTP/1.1\r\n\r\n").error_status, 405);
  EXPECT_EQ(parseRequestHead("get /metrics HTTP/1.1\r\n\r\n").error_status, 405);  // case-sensitive
  EXPECT_EQ(parseRequestHead("GET /metrics HTTP/2.0\r\n\r\n").error_status, 505);
}

Routes testRoutes() {
  Routes routes;
  routes["/livez"] = [] { return HttpAnswer{200, "text/plain; charset=utf-8", "ok\n"}; };
  routes["/readyz"] = [] { return HttpAnswer{503, "text/plain; charset=utf-8", "no quorum\n"}; };
  routes["/boom"] = []() -> HttpAnswer { throw std::runtime_error("handler bug"); };
  return routes;
}

TEST(AnswerRequest, RoutesUnknownPathsAndRefusals) {
  Routes routes = testRoutes();
  EXPECT_EQ(answerRequest(parseRequestHead("GET /livez HTTP/1.1\r\n\r\n"), routes).body, "ok\n");
  EXPECT_EQ(answerRequest(parseRequestHead("GET /readyz HTTP/1.1\r\n\r\n"), routes).status, 503);
  HttpAnswer missing = answerRequest(parseRequestHead("GET /nope HTTP/1.1\r\n\r\n"), routes);
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("/livez, /readyz"));
  EXPECT_EQ(answerRequest(parseRequestHead("DELETE / HTTP/1.1\r\n\r\n"), routes).status, 405);
}

TEST(AnswerRequest, AHandlerThatThrowsGives500) {
  HttpAnswer answer = answerRequest(parseRequestHead("GET /boom HTTP/1.1\r\n\r\n"), testRoutes());
  EXPECT_EQ(answer.status, 500);
  EXPECT_THAT(answer.body, HasSubstr("handler bug"));
}

TEST(FormatResponse, GetHasTheBodyAndHeadOnlyTheFields) {
  HttpAnswer answer{200, "text/plain; version=0.0.4", "a 1\n"};
  EXPECT_EQ(formatResponse(answer, false),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: 4\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\na 1\n");
  std::string head = formatResponse(answer, true);
  EXPECT_THAT(head, HasSubstr("Content-Length: 4\r\n"));
  EXPECT_THAT(head, Not(HasSubstr("a 1")));
}

TEST(FormatResponse, A405NamesTheAllowedMethods) {
  EXPECT_THAT(formatResponse(HttpAnswer{405, "text/plain", ""}, false),
              HasSubstr("405 Method Not Allowed\r\n"));
  EXPECT_THAT(formatResponse(HttpAnswer{405, "text/plain", ""}, false),
              HasSubstr("Allow: GET, HEAD\r\n"));
}

TEST(ParseRequestHead, ArbitraryBytesGiveAVerdictWithinTheBound) {
  // Whatever a hostile client sends: a refusal, a complete head, or a wish for more bytes that
  // never outlasts the bound.
  std::mt19937 random(20261206);
  const std::string alphabet = "GET /HTP1.\r\n: \x00\x7f\xff?aZ";
  for (int round = 0; round < 20000; ++round) {
    std::string input(random() % 300, ' ');
    for (char& c : input) c = alphabet[random() % alphabet.size()];
    RequestHead head = parseRequestHead(input, 200);
    if (head.state == HeadState::kIncomplete) {
      EXPECT_LE(input.size(), 200u) << round;
    } else if (head.state == HeadState::kRefused) {
      EXPECT_NE(head.error_status, 0);
    } else {
      EXPECT_TRUE(head.method == "GET" || head.method == "HEAD");
      EXPECT_TRUE(head.path.starts_with("/"));
    }
  }
}

}  // namespace
}  // namespace kubevip::ops
