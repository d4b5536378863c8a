using System.Net;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>The plane's verifier against AWS's published Signature Version 4 test suite, not against our signer.</summary>
public sealed class SigV4VerifierTests
{
    private static readonly DateTimeOffset SuiteTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    private static SigV4Verifier Verifier() =>
        new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null, "us-east-1", () => SuiteTime);

    private static ReceivedRequest Request(string method, string signature, string url = "/")
    {
        var headers = new WebHeaderCollection
        {
            ["Host"] = "example.amazonaws.com",
            ["X-Amz-Date"] = "20150830T123600Z",
            ["Authorization"] = $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
        };
        return new ReceivedRequest(method, url, headers, []);
    }

    [Theory]
    [InlineData("GET", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")] // get-vanilla
    [InlineData("POST", "/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")] // post-vanilla
    [InlineData("GET", "/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")] // get-vanilla-query-order-key-case
    public void The_suites_signatures_are_accepted(string method, string url, string signature) =>
        Assert.Null(Verifier().Refusal(Request(method, signature, url), "service"));

    [Fact]
    public void A_signature_off_by_one_character_or_for_another_method_is_refused()
    {
        var offByOne = Verifier().Refusal(Request("POST", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6c"), "service");
        Assert.Equal("InvalidSignatureException", offByOne?.Code);
        var otherMethod = Verifier().Refusal(Request("PUT", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"), "service");
        Assert.Equal("InvalidSignatureException", otherMethod?.Code);
    }

    [Fact]
    public void A_temporary_key_without_its_session_token_is_unrecognized()
    {
        var temporary = new SigV4Verifier("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token", "us-east-1", () => SuiteTime);
        Assert.Equal("UnrecognizedClientException", temporary.Refusal(Request("GET", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"), "service")?.Code);
    }

    [Fact]
    public void A_signature_from_the_suites_day_is_expired_five_minutes_later()
    {
        var later = new SigV4Verifier("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null, "us-east-1", () => SuiteTime.AddMinutes(6));
        var refusal = later.Refusal(Request("GET", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"), "service");
        Assert.StartsWith("Signature expired: 20150830T123600Z", refusal?.Message);
    }
}
