#include "lb/http_message.h"

#include <gtest/gtest.h>

namespace kubevip::lb {
namespace {

const IpAddress kClient = IpAddress::v4({192, 0, 2, 7});

TEST(HttpMessageTest, FindsTheEndOfAHead) {
  EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY"), 27u);
  EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\nHost: a\n\nBODY"), 24u);
  EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\r\nHost: a\r\n"), std::string::npos);
  EXPECT_EQ(findHeadEnd(""), std::string::npos);
}

TEST(HttpMessageTest, ParsesARequestHead) {
  HttpMessageParser p(HttpMessageParser::Kind::kRequest);
  auto head = p.parseHead("POST /a?b=1 HTTP/1.1\r\nHost: example\r\nContent-Length: 4\r\n\r\n");
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->method, "POST");
  EXPECT_EQ(head->url, "/a?b=1");
  EXPECT_EQ(head->minor, 1);
  ASSERT_EQ(head->headers.size(), 2u);
  EXPECT_EQ(head->headers[0].first, "Host");
  EXPECT_EQ(head->headers[0].second, "example");
  EXPECT_TRUE(head->keep_alive);
  EXPECT_TRUE(head->has_body);
  auto n = p.parseBody("abcdGET / HTTP/1.1\r\n");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 4u);  // the pipelined next request is not part of this message
  EXPECT_TRUE(p.complete());
}

TEST(HttpMessageTest, ARequestLineWithoutAVersionIsRefused) {
  // Found by fuzzing: http_parser reads it as HTTP/0.9, and the head forwarded for it did not
  // parse again.
  HttpMessageParser p(HttpMessageParser::Kind::kRequest);
  auto head = p.parseHead("POST /apiP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.\xff: web\r\n\r\n");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.error().message, "unsupported HTTP version 0.9 (only 1.0 and 1.1)");
  EXPECT_TRUE(p.parseHead("GET / HTTP/1.0\r\n\r\n").ok());
}

TEST(HttpMessageTest, AControlCharacterInAFieldValueIsRefused) {
  // Found by fuzzing: http_parser lets a NUL through, and the X-Forwarded-For values it was
  // joined into made a head that did not parse again.
  HttpMessageParser p(HttpMessageParser::Kind::kRequest);
  const std::string head = std::string("GET / HTTP/1.1\r\nX-Forwarded-For:") + '\0' + "10\r\n\r\n";
  auto parsed = p.parseHead(head);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message,
            "malformed HTTP head: a control character in the value of X-Forwarded-For");
  EXPECT_TRUE(p.parseHead("GET / HTTP/1.1\r\nA: x\ty \xff\r\n\r\n").ok());
}

TEST(HttpMessageTest, ARequestTransferEncodingNotEndingInChunkedIsRefusedAlsoWithUpgrade) {
  // Found by fuzzing: http_parser lets an upgrade request through with any Transfer-Encoding; the
  // proxy drops Upgrade, and the head it forwarded did not parse again.
  const std::string expected =
      "malformed HTTP head: a request's Transfer-Encoding must end in chunked";
  HttpMessageParser p(HttpMessageParser::Kind::kRequest);
  auto upgrade = p.parseHead(
      "GET / HTTP/1.1\r\nTransfer-Encoding: chunk1d\r\nConnection: Upgrade\r\nUpgrade: "
      "h2c\r\n\r\n");
  ASSERT_FALSE(upgrade.ok());
  EXPECT_EQ(upgrade.error().message, expected);
  auto plain = p.parseHead("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  ASSERT_FALSE(plain.ok());
  auto chunked = p.parseHead(
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nConnection: Upgrade\r\n"
      "Upgrade: h2c\r\n\r\n");
  ASSERT_TRUE(chunked.ok()) << chunked.error().message;
  EXPECT_TRUE(chunked->has_body);
  auto body = p.parseBody("3\r\nabc\r\n0\r\n\r\n");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, 13u);
  EXPECT_TRUE(p.complete());
  // A response may end in another coding: its body then lasts until the connection closes.
  HttpMessageParser r(HttpMessageParser::Kind::kResponse);
  auto response = r.parseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_TRUE(response->ends_at_close);
}

TEST(HttpMessageTest, RequestWithoutBodyIsCompleteAfterItsHead) {
  HttpMessageParser p(HttpMessageParser::Kind::kRequest);
  auto head = p.parseHead("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_FALSE(head->has_body);
  EXPECT_FALSE(head->keep_alive);  // HTTP/1.0 without keep-alive
  EXPECT_TRUE(p.complete());
}

TEST(HttpMessageTest, ChunkedBodyEndsAtTheLastChunk) {
  HttpMessageParser p(HttpMessageParser::Kind::kResponse);
  auto head = p.parseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_FALSE(head->ends_at_close);
  std::string body = "5\r\nhello\r\n0\r\n\r\n";
  auto n1 = p.parseBody(body.substr(0, 7));
  ASSERT_TRUE(n1);
  EXPECT_EQ(*n1, 7u);
  EXPECT_FALSE(p.complete());
  auto n2 = p.parseBody(body.substr(7) + "EXTRA");
  ASSERT_TRUE(n2);
  EXPECT_EQ(*n2, body.size() - 7);
  EXPECT_TRUE(p.complete());
}

TEST(HttpMessageTest, ResponseWithoutLengthLastsUntilClose) {
  HttpMessageParser p(HttpMessageParser::Kind::kResponse);
  auto head = p.parseHead("HTTP/1.1 200 OK\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_TRUE(head->ends_at_close);
  EXPECT_EQ(*p.parseBody("some"), 4u);
  EXPECT_TRUE(p.finishAtEof());
  EXPECT_TRUE(p.complete());
}

TEST(HttpMessageTest, TruncatedBodyIsAnErrorAtEof) {
  HttpMessageParser p(HttpMessageParser::Kind::kResponse);
  ASSERT_TRUE(p.parseHead("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"));
  EXPECT_EQ(*p.parseBody("abc"), 3u);
  EXPECT_FALSE(p.finishAtEof());
}

TEST(HttpMessageTest, ResponseToHeadHasNoBody) {
  HttpMessageParser p(HttpMessageParser::Kind::kResponse);
  auto head = p.parseHead("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true);
  ASSERT_TRUE(head);
  EXPECT_FALSE(head->has_body);
}

TEST(HttpMessageTest, MalformedHeadsAreRejected) {
  HttpMessageParser p(HttpMessageParser::Kind::kRequest);
  EXPECT_FALSE(p.parseHead("GARBAGE\r\n\r\n"));
  EXPECT_FALSE(p.parseHead("GET / HTTP/1.1\r\nBad Header\r\n\r\n"));
  EXPECT_FALSE(p.parseHead("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"));
}

TEST(HttpMessageTest, BackendRequestAppendsForwardedForAndDropsHopByHop) {
  HttpMessageParser p(HttpMessageParser::Kind::kRequest);
  auto head = p.parseHead(
      "GET /x HTTP/1.1\r\nHost: svc.example\r\nX-Forwarded-For: 10.1.1.1\r\n"
      "Connection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\n"
      "X-Forwarded-For: 10.2.2.2\r\nX-Forwarded-Proto: https\r\nAccept: */*\r\n\r\n");
  ASSERT_TRUE(head);
  std::string out = backendRequestHead(*head, kClient);
  EXPECT_EQ(out,
            "GET /x HTTP/1.1\r\nHost: svc.example\r\nAccept: */*\r\n"
            "X-Forwarded-For: 10.1.1.1, 10.2.2.2, 192.0.2.7\r\nX-Forwarded-Proto: http\r\n"
            "Connection: close\r\n\r\n");
}

TEST(HttpMessageTest, BackendRequestStartsForwardedForWhenAbsent) {
  HttpMessageParser p(HttpMessageParser::Kind::kRequest);
  auto head = p.parseHead("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_NE(backendRequestHead(*head, kClient).find("\r\nX-Forwarded-For: 192.0.2.7\r\n"),
            std::string::npos);
}

TEST(HttpMessageTest, ClientResponseHeadSaysWhetherTheConnectionStays) {
  HttpMessageParser p(HttpMessageParser::Kind::kResponse);
  auto head =
      p.parseHead("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_EQ(clientResponseHead(*head, 1, false),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(clientResponseHead(*head, 1, true),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(clientResponseHead(*head, 0, false),
            "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpMessageTest, ErrorResponsesCarryLengthAndClose) {
  std::string r = errorResponse(503);
  EXPECT_EQ(r.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u);
  EXPECT_NE(r.find("Content-Length: 24\r\n"), std::string::npos);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 24), "503 Service Unavailable\n");
}

}  // namespace
}  // namespace kubevip::lb
