using System.CommandLine;
using System.Text.Json;
using Rotoscope.Core;
using Rotoscope.Core.Storage;
using Spectre.Console;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope connectors add|list|remove</c>: the S3 places renders may read from and write to.</summary>
internal static class ConnectorsCommand
{
    internal static readonly string[] Examples =
    [
        "rotoscope connectors add s3 --label footage --bucket drone-footage --prefix raw/ --region eu-west-1",
        "rotoscope connectors add s3 --label out --bucket renders --endpoint http://127.0.0.1:9000 --access-key-env S3_KEY --secret-key-env S3_SECRET --write",
        "rotoscope connectors list --json",
    ];

    public static Command Create(CliContext context)
    {
        var command = new Command("connectors", $"Configure where s3:// and s3+label:// URIs lead (kept in a file only you can read).\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            Add(context), List(context), Remove(context),
        };
        return command;
    }

    private static Command Add(CliContext context)
    {
        var kind = new Argument<string>("kind") { Description = "The kind of connector: s3." };
        kind.AcceptOnlyFromAmong("s3");
        var label = new Option<string>("--label") { Description = "Its name in URIs: s3+LABEL://key ('default' serves s3://bucket/key).", Required = true };
        var bucket = new Option<string?>("--bucket") { Description = "The bucket (required, except for the default connector)." };
        var prefix = new Option<string>("--prefix") { Description = "Only keys under this prefix can be reached.", DefaultValueFactory = _ => "" };
        var endpoint = new Option<string?>("--endpoint") { Description = "An S3-compatible endpoint URL (path-style); omit for AWS." };
        var region = new Option<string>("--region") { Description = "The region (signing region for other endpoints).", DefaultValueFactory = _ => "us-east-1" };
        var write = new Option<bool>("--write") { Description = "Allow writes (read-only otherwise)." };
        var accessKeyEnv = new Option<string?>("--access-key-env") { Description = "Environment variable holding the access key id." };
        var secretKeyEnv = new Option<string?>("--secret-key-env") { Description = "Environment variable holding the secret key." };
        var accessKey = new Option<string?>("--access-key") { Description = "The access key id, stored in the file (prefer --access-key-env)." };
        var secretKey = new Option<string?>("--secret-key") { Description = "The secret key, stored in the file (prefer --secret-key-env)." };
        var command = new Command("add", "Add (or replace) a connector. Without keys, the AWS credential chain is used.")
        {
            kind, label, bucket, prefix, endpoint, region, write, accessKeyEnv, secretKeyEnv, accessKey, secretKey,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(label)!;
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                throw new RotoscopeException($"connector label '{name}' must be lower-case letters, digits and '-'");
            }

            var bucketName = parse.GetValue(bucket);
            if (bucketName is null && name != "default")
            {
                throw new RotoscopeException("--bucket is required (only the 'default' connector may reach any bucket)");
            }

            var url = parse.GetValue(endpoint);
            if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https")))
            {
                throw new RotoscopeException($"--endpoint must be an http:// or https:// URL (got '{url}')");
            }

            var access = Secret(parse.GetValue(accessKey), parse.GetValue(accessKeyEnv));
            var secret = Secret(parse.GetValue(secretKey), parse.GetValue(secretKeyEnv));
            if ((access is null) != (secret is null))
            {
                throw new RotoscopeException("give both the access key and the secret key, or neither (for the AWS credential chain)");
            }

            var keyPrefix = parse.GetValue(prefix)!.TrimStart('/');
            if (keyPrefix.Length > 0 && !keyPrefix.EndsWith('/'))
            {
                keyPrefix += "/";
            }

            var connector = new S3ConnectorSettings(name, bucketName, keyPrefix, url?.TrimEnd('/'), parse.GetValue(region)!, parse.GetValue(write), access, secret);
            var file = CommandOptions.Resolve(context, dataDirectory: null).ConnectorsFile;
            ConnectorConfig.Load(file).With(connector).Save(file);
            await context.Out.WriteLineAsync($"added s3+{name}:// → {connector.Root} ({(connector.Writable ? "read-write" : "read-only")})").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command List(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print the connectors as JSON (never their secrets)." };
        var command = new Command("list", "List the configured connectors; secrets are never shown.") { json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = ConnectorConfig.Load(CommandOptions.Resolve(context, dataDirectory: null).ConnectorsFile);
            var rows = config.S3.Select(c => new
            {
                c.Label,
                Kind = "s3",
                Uri = c.Label == "default" ? "s3://" : $"s3+{c.Label}://",
                c.Root,
                c.Endpoint,
                c.Region,
                Access = c.Writable ? "read-write" : "read-only",
                Credentials = c.AccessKey is null ? "AWS credential chain" : $"access key {c.AccessKey}, secret key {c.SecretKey}",
            }).ToList();
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(rows, CommandOptions.Json)).ConfigureAwait(false);
                return CliApp.Ok;
            }

            if (rows.Count == 0)
            {
                await context.Out.WriteLineAsync("no connectors (add one: rotoscope connectors add s3 --label NAME --bucket BUCKET …)").ConfigureAwait(false);
                return CliApp.Ok;
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Out) });
            var table = new Table().AddColumns("uri", "root", "endpoint", "access", "credentials");
            foreach (var row in rows)
            {
                table.AddRow(Markup.Escape(row.Uri), Markup.Escape(row.Root), Markup.Escape(row.Endpoint ?? $"AWS {row.Region}"), row.Access, Markup.Escape(row.Credentials));
            }

            console.Write(table);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Remove(CliContext context)
    {
        var label = new Argument<string>("label") { Description = "The connector's label." };
        var command = new Command("remove", "Remove a connector.") { label };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = CommandOptions.Resolve(context, dataDirectory: null).ConnectorsFile;
            var config = ConnectorConfig.Load(file);
            var name = parse.GetValue(label)!;
            if (config.S3.All(c => c.Label != name))
            {
                throw new RotoscopeException($"no connector labelled '{name}'");
            }

            (config with { S3 = config.S3.Where(c => c.Label != name).ToList() }).Save(file);
            await context.Out.WriteLineAsync($"removed {name}").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static SecretSource? Secret(string? inline, string? variable) =>
        (inline, variable) switch
        {
            (not null, not null) => throw new RotoscopeException("give a key inline or as a variable, not both"),
            (not null, _) => new SecretSource(Value: inline),
            (_, not null) => new SecretSource(Variable: variable),
            _ => null,
        };
}
