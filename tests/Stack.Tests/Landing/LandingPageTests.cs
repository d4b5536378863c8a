using System.Security.Cryptography;
using Microsoft.Playwright;
using Slipway.Stack.Tests.Nginx;

namespace Slipway.Stack.Tests.Landing;

/// <summary>
/// The landing page in real Chromium (/usr/bin/chromium through Playwright; the driver ships in the
/// NuGet package, no browser download), served by the real nginx, calling an upstream through it.
/// </summary>
public sealed class LandingPageTests
{
    private const string Chromium = "/usr/bin/chromium";

    [ToolFact("nginx", "openssl", "chromium")]
    public async Task The_page_renders_and_shows_the_version_the_api_reported()
    {
        var version = $"2.7.1-landing.{Guid.NewGuid():N}"[..24];
        await using var upstream = await UpstreamServer.StartAsync(version);
        await using var nginx = await NginxUnderTest.StartAsync(upstream.Port);
        await using var browser = await ChromiumBrowser.LaunchAsync(nginx);

        var page = await browser.OpenAsync($"https://127.0.0.1:{nginx.HttpsPort}/");

        await Assertions.Expect(page.Locator("#api-status")).ToHaveTextAsync("healthy");
        await Assertions.Expect(page.Locator("#api-version")).ToHaveTextAsync(version);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Slipway");
        Assert.Equal("Slipway", await page.TitleAsync());
        // The page's own call reached the upstream through nginx (a slow machine may see the browser retry it).
        var calls = upstream.RequestsTo("/health");
        Assert.NotEmpty(calls);
        Assert.All(calls, call =>
        {
            Assert.Contains("Chrome", call.UserAgent, StringComparison.Ordinal);
            Assert.Equal("https", call.ForwardedProto);
        });
        // CSP violations and script errors surface as console errors.
        Assert.True(browser.Errors.Count == 0, string.Join('\n', browser.Errors));
    }

    [ToolFact("nginx", "openssl", "chromium")]
    public async Task The_page_shows_an_unhealthy_api()
    {
        await using var upstream = await UpstreamServer.StartAsync("3.0.0-sick");
        upstream.HealthStatusCode = 503;
        await using var nginx = await NginxUnderTest.StartAsync(upstream.Port);
        await using var browser = await ChromiumBrowser.LaunchAsync(nginx);

        var page = await browser.OpenAsync($"https://127.0.0.1:{nginx.HttpsPort}/");

        await Assertions.Expect(page.Locator("#api-status")).ToHaveTextAsync("unhealthy (HTTP 503)");
        await Assertions.Expect(page.Locator("#api-status")).ToHaveAttributeAsync("data-state", "unhealthy");
        Assert.NotEmpty(upstream.RequestsTo("/health"));
    }

    /// <summary>Chromium with a fresh profile that trusts exactly the server key nginx/gen-certs.sh made for this run.</summary>
    private sealed class ChromiumBrowser : IAsyncDisposable
    {
        private readonly IPlaywright playwright;
        private readonly IBrowserContext context;
        private readonly string profile;

        private ChromiumBrowser(IPlaywright playwright, IBrowserContext context, string profile)
        {
            this.playwright = playwright;
            this.context = context;
            this.profile = profile;
        }

        public List<string> Errors { get; } = [];

        public static async Task<ChromiumBrowser> LaunchAsync(NginxUnderTest nginx)
        {
            var profile = Directory.CreateTempSubdirectory("slipway-chromium-").FullName;
            var playwright = await Playwright.CreateAsync();
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args =
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    // Trust only the leaf key of this run (pinned by its SPKI hash), not any certificate.
                    $"--ignore-certificate-errors-spki-list={ServerKeyPin(nginx)}",
                ],
            });
            context.SetDefaultTimeout(30_000);
            return new ChromiumBrowser(playwright, context, profile);
        }

        /// <summary>
        /// Loads the page and waits until its API call has settled. Chromium aborts loads with
        /// ERR_NETWORK_CHANGED when Docker adds or removes host interfaces (other tests do), so such
        /// an attempt is repeated; any other failure stands.
        /// </summary>
        public async Task<IPage> OpenAsync(string url)
        {
            var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
            page.Console += (_, message) => { if (message.Type == "error") Errors.Add(message.Text); };
            page.PageError += (_, error) => Errors.Add(error);
            for (var attempt = 1; ; attempt++)
            {
                Errors.Clear();
                try
                {
                    var response = await page.GotoAsync(url, new() { WaitUntil = WaitUntilState.DOMContentLoaded });
                    Assert.NotNull(response);
                    Assert.Equal(200, response.Status);
                    await page.Locator("#api-status:not([data-state=pending])").WaitForAsync();
                    if (!Errors.Any(IsNetworkChange))
                        return page;
                }
                catch (PlaywrightException e) when (IsNetworkChange(e.Message) && attempt < 3)
                {
                }

                if (attempt >= 3)
                    throw new Xunit.Sdk.XunitException($"the page kept failing to load: {string.Join("; ", Errors)}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await context.CloseAsync();
            playwright.Dispose();
            Directory.Delete(profile, recursive: true);
        }

        private static bool IsNetworkChange(string message) => message.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal);

        private static string ServerKeyPin(NginxUnderTest nginx)
        {
            using var server = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(nginx.Directory, "certs", "server.crt"));
            return Convert.ToBase64String(SHA256.HashData(server.PublicKey.ExportSubjectPublicKeyInfo()));
        }
    }
}
