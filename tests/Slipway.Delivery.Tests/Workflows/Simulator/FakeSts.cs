using System.Security;
using System.Text;
using System.Text.Json;
using System.Web;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>A role that trusts GitHub's OIDC provider for tokens whose subject is one of these (IAM's "token.actions.githubusercontent.com:sub").</summary>
internal sealed record OidcTrust(string RoleArn, IReadOnlyList<string> Subjects);

/// <summary>
/// STS on 127.0.0.1 answering AssumeRoleWithWebIdentity (Query API, Version 2011-06-15) in STS's documented XML, for the
/// roles the test trusts; anything else is AccessDenied, as STS says it. Every issued key pair is kept so a test can
/// tell which job got credentials.
/// </summary>
internal sealed class FakeSts : IDisposable
{
    private readonly LoopbackHttpServer server;
    private readonly IReadOnlyList<OidcTrust> trusts;

    public FakeSts(params OidcTrust[] trusts)
    {
        this.trusts = trusts;
        server = new LoopbackHttpServer(Answer);
    }

    public Uri Url => server.Url;

    /// <summary>(role, token subject, access key id) of each credential issued.</summary>
    public List<(string Role, string Subject, string AccessKeyId)> Issued { get; } = [];

    public void Dispose() => server.Dispose();

    private Reply Answer(ReceivedRequest request)
    {
        var form = HttpUtility.ParseQueryString(request.Text);
        if (request.Method != "POST" || form["Action"] != "AssumeRoleWithWebIdentity" || form["Version"] != "2011-06-15")
            return Error(400, "InvalidAction", $"Could not find operation {form["Action"]} for version {form["Version"]}");
        var role = form["RoleArn"] ?? "";
        var subject = SubjectOf(form["WebIdentityToken"] ?? "");
        if (!trusts.Any(t => t.RoleArn == role && t.Subjects.Contains(subject)))
            return Error(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
        var keyId = "ASIA" + Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        lock (Issued)
            Issued.Add((role, subject, keyId));
        var session = form["RoleSessionName"] ?? "GitHubActions";
        var expiration = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var body = $"""
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleWithWebIdentityResult>
                <SubjectFromWebIdentityToken>{SecurityElement.Escape(subject)}</SubjectFromWebIdentityToken>
                <Audience>sts.amazonaws.com</Audience>
                <AssumedRoleUser>
                  <Arn>{SecurityElement.Escape(role.Replace(":role/", ":assumed-role/", StringComparison.Ordinal))}/{SecurityElement.Escape(session)}</Arn>
                  <AssumedRoleId>AROA{Guid.NewGuid().ToString("N")[..16].ToUpperInvariant()}:{SecurityElement.Escape(session)}</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <SessionToken>{Convert.ToBase64String(Guid.NewGuid().ToByteArray())}</SessionToken>
                  <SecretAccessKey>{Guid.NewGuid():N}</SecretAccessKey>
                  <Expiration>{expiration}</Expiration>
                  <AccessKeyId>{keyId}</AccessKeyId>
                </Credentials>
                <Provider>arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com</Provider>
              </AssumeRoleWithWebIdentityResult>
              <ResponseMetadata><RequestId>{Guid.NewGuid()}</RequestId></ResponseMetadata>
            </AssumeRoleWithWebIdentityResponse>
            """;
        return new Reply(200, "text/xml", body);
    }

    private static string SubjectOf(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
            return "";
        var payload = parts[1].Replace('-', '+').Replace('_', '/');
        payload += new string('=', (4 - (payload.Length % 4)) % 4);
        using var claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
        return claims.RootElement.TryGetProperty("sub", out var sub) ? sub.GetString() ?? "" : "";
    }

    private static Reply Error(int status, string code, string message) => new(status, "text/xml", $"""
        <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <Error><Type>Sender</Type><Code>{code}</Code><Message>{SecurityElement.Escape(message)}</Message></Error>
          <RequestId>{Guid.NewGuid()}</RequestId>
        </ErrorResponse>
        """);
}
