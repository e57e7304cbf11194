using System.CommandLine;
using System.Text.Json;
using Rotoscope.Core;
using Rotoscope.Core.Storage;
using Spectre.Console;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope connectors add|list|remove</c>: the S3 and Dropbox places renders may read from and write to.</summary>
internal static class ConnectorsCommand
{
    internal static readonly string[] Examples =
    [
        "rotoscope connectors add s3 --label footage --bucket drone-footage --prefix raw/ --region eu-west-1",
        "rotoscope connectors add s3 --label out --bucket renders --endpoint http://127.0.0.1:9000 --access-key-env S3_KEY --secret-key-env S3_SECRET --write",
        "rotoscope connectors add dropbox --label review --folder /Rotoscope --app-key KEY --app-secret-env DROPBOX_SECRET --auth-code CODE --write",
        "rotoscope connectors list --json",
    ];

    public static Command Create(CliContext context)
    {
        var command = new Command("connectors", $"Configure where s3://, s3+label://, dropbox:// and dropbox+label:// URIs lead (kept in a file only you can read).\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            Add(context), List(context), Remove(context),
        };
        return command;
    }

    private static Command Add(CliContext context) =>
        new("add", "Add (or replace) a connector.") { AddS3(context), AddDropbox(context) };

    private static Command AddS3(CliContext context)
    {
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
        var command = new Command("s3", "Add (or replace) an S3 connector. Without keys, the AWS credential chain is used.")
        {
            label, bucket, prefix, endpoint, region, write, accessKeyEnv, secretKeyEnv, accessKey, secretKey,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = CheckLabel(parse.GetValue(label)!);
            var bucketName = parse.GetValue(bucket);
            if (bucketName is null && name != "default")
            {
                throw new RotoscopeException("--bucket is required (only the 'default' connector may reach any bucket)");
            }

            var url = CheckEndpoint(parse.GetValue(endpoint));
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

            var connector = new S3ConnectorSettings(name, bucketName, keyPrefix, url, parse.GetValue(region)!, parse.GetValue(write), access, secret);
            var file = CommandOptions.Resolve(context, dataDirectory: null).ConnectorsFile;
            ConnectorConfig.Load(file).With(connector).Save(file);
            await context.Out.WriteLineAsync($"added s3+{name}:// → {connector.Root} ({(connector.Writable ? "read-write" : "read-only")})").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command AddDropbox(CliContext context)
    {
        var label = new Option<string>("--label") { Description = "Its name in URIs: dropbox+LABEL://path ('default' serves dropbox://path).", Required = true };
        var folder = new Option<string>("--folder") { Description = "Only this folder and what is below it can be reached (e.g. /Rotoscope).", DefaultValueFactory = _ => "" };
        var write = new Option<bool>("--write") { Description = "Allow writes (read-only otherwise)." };
        var appKey = new Option<string>("--app-key") { Description = "The Dropbox app's key (App Console → your app → Settings).", Required = true };
        var appSecretEnv = new Option<string?>("--app-secret-env") { Description = "Environment variable holding the app secret (omit for a PKCE app)." };
        var appSecret = new Option<string?>("--app-secret") { Description = "The app secret, stored in the file (prefer --app-secret-env)." };
        var refreshTokenEnv = new Option<string?>("--refresh-token-env") { Description = "Environment variable holding a refresh token." };
        var refreshToken = new Option<string?>("--refresh-token") { Description = "A refresh token, stored in the file (prefer --refresh-token-env)." };
        var authCode = new Option<string?>("--auth-code")
        {
            Description = "An authorization code to redeem for a refresh token, which is stored in the file. Get one at "
                + "https://www.dropbox.com/oauth2/authorize?client_id=APP_KEY&response_type=code&token_access_type=offline",
        };
        var endpoint = new Option<string?>("--endpoint") { Description = "One base URL for Dropbox's API hosts (a test server); omit for Dropbox." };
        var command = new Command("dropbox", "Add (or replace) a Dropbox connector, signed in with a refresh token.")
        {
            label, folder, write, appKey, appSecretEnv, appSecret, refreshTokenEnv, refreshToken, authCode, endpoint,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = CheckLabel(parse.GetValue(label)!);
            var url = CheckEndpoint(parse.GetValue(endpoint));
            var key = parse.GetValue(appKey)!;
            var secret = Secret(parse.GetValue(appSecret), parse.GetValue(appSecretEnv));
            var token = Secret(parse.GetValue(refreshToken), parse.GetValue(refreshTokenEnv));
            if (parse.GetValue(authCode) is { } code)
            {
                if (token is not null)
                {
                    throw new RotoscopeException("give a refresh token or an authorization code, not both");
                }

                var appSecretValue = secret?.Resolve(context.Environment);
                if (secret is not null && appSecretValue is null)
                {
                    throw new RotoscopeException($"the app secret is not set ({secret})");
                }

                token = new SecretSource(Value: await DropboxClient.RedeemAuthorizationCodeAsync(key, appSecretValue, code, url is null ? null : new Uri(url), cancellationToken).ConfigureAwait(false));
            }

            if (token is null)
            {
                throw new RotoscopeException("give --refresh-token-env, --refresh-token or --auth-code: Dropbox connectors sign in with a refresh token");
            }

            var path = parse.GetValue(folder)!.Trim().Trim('/');
            var connector = new DropboxConnectorSettings(name, path.Length > 0 ? "/" + path : "", parse.GetValue(write), key, secret, token, url);
            var file = CommandOptions.Resolve(context, dataDirectory: null).ConnectorsFile;
            ConnectorConfig.Load(file).With(connector).Save(file);
            await context.Out.WriteLineAsync($"added dropbox+{name}:// → {connector.Root} ({(connector.Writable ? "read-write" : "read-only")})").ConfigureAwait(false);
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
                Region = (string?)c.Region,
                Access = c.Writable ? "read-write" : "read-only",
                Credentials = c.AccessKey is null ? "AWS credential chain" : $"access key {c.AccessKey}, secret key {c.SecretKey}",
            }).Concat(config.Dropbox.Select(c => new
            {
                c.Label,
                Kind = "dropbox",
                Uri = c.Label == "default" ? "dropbox://" : $"dropbox+{c.Label}://",
                c.Root,
                c.Endpoint,
                Region = (string?)null,
                Access = c.Writable ? "read-write" : "read-only",
                Credentials = $"app {c.AppKey}{(c.AppSecret is null ? "" : $" with secret {c.AppSecret}")}, refresh token {c.RefreshToken}",
            })).ToList();
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(rows, CommandOptions.Json)).ConfigureAwait(false);
                return CliApp.Ok;
            }

            if (rows.Count == 0)
            {
                await context.Out.WriteLineAsync("no connectors (add one: rotoscope connectors add s3 --label NAME --bucket BUCKET …, or add dropbox --label NAME --app-key KEY …)").ConfigureAwait(false);
                return CliApp.Ok;
            }

            var console = context.OutConsole();
            var table = new Table().AddColumns("uri", "root", "endpoint", "access", "credentials");
            foreach (var row in rows)
            {
                var place = row.Endpoint ?? (row.Kind == "s3" ? $"AWS {row.Region}" : "Dropbox");
                table.AddRow(Markup.Escape(row.Uri), Markup.Escape(row.Root), Markup.Escape(place), row.Access, Markup.Escape(row.Credentials));
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
            if (config.S3.All(c => c.Label != name) && config.Dropbox.All(c => c.Label != name))
            {
                throw new RotoscopeException($"no connector labelled '{name}'");
            }

            config.Without(name).Save(file);
            await context.Out.WriteLineAsync($"removed {name}").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static string CheckLabel(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            ? name
            : throw new RotoscopeException($"connector label '{name}' must be lower-case letters, digits and '-'");

    private static string? CheckEndpoint(string? url) =>
        url is null || (Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https")
            ? url?.TrimEnd('/')
            : throw new RotoscopeException($"--endpoint must be an http:// or https:// URL (got '{url}')");

    private static SecretSource? Secret(string? inline, string? variable) =>
        (inline, variable) switch
        {
            (not null, not null) => throw new RotoscopeException("give a key inline or as a variable, not both"),
            (not null, _) => new SecretSource(Value: inline),
            (_, not null) => new SecretSource(Variable: variable),
            _ => null,
        };
}
