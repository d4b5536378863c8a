using Slipway.Delivery.Scanning;

namespace Slipway.Delivery.Tests.Scanning;

public sealed class TrivyIgnoreFileTests
{
    private const string Text = """
        # Reviewed 2025-01-10: libexpat is not reachable from the API
        CVE-2024-45491 exp:2025-03-01

        CVE-2023-45853   # zlib minizip is not shipped
        	AVD-DS-0002 exp:2024-12-31
        aws-secret-access-key
        """;

    [Fact]
    public void Reads_ids_expiry_dates_and_line_numbers_and_skips_comments()
    {
        var file = TrivyIgnoreFile.Parse(Text, ".trivyignore");

        Assert.Equal(
            [
                new TrivyIgnoreEntry("CVE-2024-45491", new DateOnly(2025, 3, 1), 2),
                new TrivyIgnoreEntry("CVE-2023-45853", null, 4),
                new TrivyIgnoreEntry("AVD-DS-0002", new DateOnly(2024, 12, 31), 5),
                new TrivyIgnoreEntry("aws-secret-access-key", null, 6),
            ],
            file.Entries);
    }

    [Fact]
    public void An_entry_ignores_until_the_day_before_its_expiry_as_trivy_does()
    {
        var file = TrivyIgnoreFile.Parse(Text, ".trivyignore");

        Assert.NotNull(file.Match(new DateOnly(2025, 2, 28), "CVE-2024-45491"));
        Assert.Null(file.Match(new DateOnly(2025, 3, 1), "CVE-2024-45491"));
        Assert.Null(file.Match(new DateOnly(2026, 1, 1), "CVE-2024-45491"));
        Assert.NotNull(file.Match(new DateOnly(2030, 1, 1), "cve-2023-45853")); // no expiry: forever, IDs case-insensitive
        Assert.Null(file.Match(new DateOnly(2025, 1, 1), "CVE-2099-0001"));
        Assert.Equal(["AVD-DS-0002"], file.ExpiredOn(new DateOnly(2025, 1, 1)).Select(e => e.Id));
    }

    [Fact]
    public void Matches_any_of_the_ids_a_finding_has()
    {
        var file = TrivyIgnoreFile.Parse(Text, ".trivyignore");

        Assert.Equal(5, file.Match(new DateOnly(2024, 6, 1), "DS002", "AVD-DS-0002")?.Line);
    }

    [Theory]
    [InlineData("CVE-2024-1 exp:2025-13-01", "exp:2025-13-01")]
    [InlineData("# ok\nCVE-2024-1 exp:tomorrow", "exp:tomorrow")]
    public void A_bad_expiry_names_file_line_and_format(string text, string field)
    {
        var error = Assert.Throws<DeliveryException>(() => TrivyIgnoreFile.Parse(text, "/repo/.trivyignore"));

        var line = text.Split('\n').Length;
        Assert.Equal($"/repo/.trivyignore:{line}: '{field}' is not a valid expiry: write exp:YYYY-MM-DD", error.Message);
    }

    [Fact]
    public void A_missing_file_ignores_nothing()
    {
        var file = TrivyIgnoreFile.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), ".trivyignore"));

        Assert.Same(TrivyIgnoreFile.Empty, file);
        Assert.Empty(file.Entries);
    }
}
