using Slipway.Engine.CI.Yaml;

namespace Slipway.Engine.Tests.CI;

public sealed class YamlWriterTests
{
    [Theory]
    [InlineData("main", "main")]
    [InlineData("ubuntu-24.04", "ubuntu-24.04")]
    [InlineData("--skip", "--skip")]
    [InlineData("it's", "it's")]
    [InlineData("${{ secrets.DATABASE_URL }}", "${{ secrets.DATABASE_URL }}")]
    [InlineData("nuget-${{ hashFiles('**/*.csproj', 'x') }}", "nuget-${{ hashFiles('**/*.csproj', 'x') }}")]
    [InlineData("on", "'on'")]
    [InlineData("Yes", "'Yes'")]
    [InlineData("off", "'off'")]
    [InlineData("n", "'n'")]
    [InlineData("null", "'null'")]
    [InlineData("~", "'~'")]
    [InlineData("<<", "'<<'")]
    [InlineData("*", "'*'")]
    [InlineData("**/*.md", "'**/*.md'")]
    [InlineData("0 5 * * 1", "'0 5 * * 1'")]
    [InlineData("30", "'30'")]
    [InlineData("1.5", "'1.5'")]
    [InlineData("-1", "'-1'")]
    [InlineData("+1", "'+1'")]
    [InlineData(".inf", "'.inf'")]
    [InlineData("", "''")]
    [InlineData(" padded", "' padded'")]
    [InlineData("a: b", "'a: b'")]
    [InlineData("a #b", "'a #b'")]
    [InlineData("key:", "'key:'")]
    [InlineData("- item", "'- item'")]
    [InlineData("-", "'-'")]
    [InlineData("'quoted'", "'''quoted'''")]
    [InlineData("!cancelled()", "'!cancelled()'")]
    [InlineData("&anchor", "'&anchor'")]
    [InlineData("@handle", "'@handle'")]
    [InlineData("{x}", "'{x}'")]
    [InlineData("tab\there", "\"tab\\there\"")]
    public void Scalars_are_quoted_exactly_when_YAML_would_misread_them(string value, string expected)
    {
        Assert.Equal(expected, YamlWriter.Quote(value));
    }

    [Fact]
    public void Keys_keep_insertion_order_and_nesting_uses_two_spaces()
    {
        var document = new YamlMapping()
            .Add("zeta", "first")
            .Add("on", new YamlMapping().Add("push", new YamlMapping().Add("branches", YamlSequence.Of(["main", "*"]))))
            .Add("alpha", YamlScalar.Number(30))
            .Add("steps", new YamlSequence([
                new YamlMapping().Add("name", "one").Add("with", new YamlMapping().Add("flag", YamlScalar.Boolean(true))),
                "plain",
            ]));

        Assert.Equal(
            "# header\n" +
            "zeta: first\n" +
            "'on':\n" +
            "  push:\n" +
            "    branches:\n" +
            "      - main\n" +
            "      - '*'\n" +
            "alpha: 30\n" +
            "steps:\n" +
            "  - name: one\n" +
            "    with:\n" +
            "      flag: true\n" +
            "  - plain\n",
            YamlWriter.Write(document, ["header"]));
    }

    [Fact]
    public void Multi_line_strings_become_literal_blocks_with_the_right_chomping()
    {
        var document = new YamlMapping()
            .Add("kept", "a\nb\n")
            .Add("stripped", "a\n\nb")
            .Add("list", new YamlSequence(["x\ny"]));

        Assert.Equal(
            "kept: |\n  a\n  b\n" +
            "stripped: |-\n  a\n\n  b\n" +
            "list:\n  - |-\n    x\n    y\n",
            YamlWriter.Write(document));
    }

    [Fact]
    public void Multi_line_strings_a_literal_block_cannot_hold_are_double_quoted()
    {
        var text = YamlWriter.Write(new YamlMapping().Add("k", "trailing \nspace"));
        Assert.Equal("k: \"trailing \\nspace\"\n", text);
    }

    [Fact]
    public void Empty_collections_are_written_inline_and_the_output_uses_LF_only()
    {
        var text = YamlWriter.Write(new YamlMapping().Add("map", new YamlMapping()).Add("seq", new YamlSequence()));
        Assert.Equal("map: {}\nseq: []\n", text);
        Assert.DoesNotContain('\r', text);
    }

    [Fact]
    public void AddIfAny_leaves_out_empty_values()
    {
        var mapping = new YamlMapping().AddIfAny("a", new YamlSequence()).AddIfAny("b", null).AddIfAny("c", "x");
        Assert.Equal("c: x\n", YamlWriter.Write(mapping));
    }

    [Fact]
    public void A_duplicate_key_is_rejected()
    {
        var mapping = new YamlMapping().Add("name", "a");
        Assert.Throws<InvalidOperationException>(() => mapping.Add("name", "b"));
    }
}
