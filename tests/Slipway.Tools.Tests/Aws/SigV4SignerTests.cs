using Amazon.Runtime;
using Slipway.Tools.Aws;

namespace Slipway.Tools.Tests.Aws;

/// <summary>Cases from AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite).</summary>
public sealed class SigV4SignerTests
{
    private static readonly ImmutableCredentials Example = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null);
    private static readonly DateTimeOffset SignedAt = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    private static string Authorization(string method, string url) =>
        SigV4Signer.Sign(method, new Uri(url), [], [], Example, "us-east-1", "service", SignedAt)
            .Single(h => h.Key == "Authorization").Value;

    [Fact]
    public void Get_vanilla_canonical_request_matches_the_suite()
    {
        var (canonical, signed) = SigV4Signer.CanonicalRequest(
            "GET",
            new Uri("https://example.amazonaws.com/"),
            [new("Host", "example.amazonaws.com"), new("X-Amz-Date", "20150830T123600Z")],
            SigV4Signer.EmptyPayloadHash);

        Assert.Equal(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            canonical);
        Assert.Equal("host;x-amz-date", signed);
    }

    [Theory]
    [InlineData("GET", "https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")] // get-vanilla
    [InlineData("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")] // get-vanilla-query-order-key-case
    [InlineData("GET", "https://example.amazonaws.com/\u1234", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")] // get-utf8
    [InlineData("POST", "https://example.amazonaws.com/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")] // post-vanilla
    public void Signatures_match_the_suite(string method, string url, string signature) =>
        Assert.Equal(
            $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
            Authorization(method, url));

    [Fact]
    public void Adds_the_date_header_and_signs_the_session_token_of_temporary_credentials()
    {
        var temporary = new ImmutableCredentials(Example.AccessKey, Example.SecretKey, "session-token-value");

        var headers = SigV4Signer.Sign("POST", new Uri("https://api.ecr.eu-west-1.amazonaws.com/"), [new("X-Amz-Target", "T")], "{}"u8, temporary, "eu-west-1", "ecr", SignedAt);

        Assert.Equal(["X-Amz-Date", "X-Amz-Security-Token", "Authorization"], headers.Select(h => h.Key));
        Assert.Equal("20150830T123600Z", headers[0].Value);
        Assert.Equal("session-token-value", headers[1].Value);
        Assert.Contains("/20150830/eu-west-1/ecr/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-target,", headers[2].Value, StringComparison.Ordinal);
    }

    [Fact]
    public void The_body_is_part_of_the_signature()
    {
        static string Sign(string body) => SigV4Signer.Sign("POST", new Uri("https://example.amazonaws.com/"), [], System.Text.Encoding.UTF8.GetBytes(body), Example, "us-east-1", "service", SignedAt)[^1].Value;

        Assert.NotEqual(Sign("{\"a\":1}"), Sign("{\"a\":2}"));
    }

    [Fact]
    public void Credentials_never_print_their_secret()
    {
        var credentials = new ResolvedAwsCredentials(new ImmutableCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "token-secret"), "environment variables");

        Assert.Equal("AWS credentials ****MPLE from environment variables (temporary)", credentials.ToString());
        Assert.DoesNotContain("wJalr", $"{credentials}", StringComparison.Ordinal);
    }
}
