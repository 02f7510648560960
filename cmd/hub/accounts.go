package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
)

// accountCommands are the commands of user and token management (issue
// 16) and of backups, by their words on the command line.
var accountCommands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"user list":    runUserList,
	"user disable": func(ctx context.Context, a []string, o, e io.Writer) error { return runUserDisable(ctx, a, o, e, true) },
	"user enable": func(ctx context.Context, a []string, o, e io.Writer) error {
		return runUserDisable(ctx, a, o, e, false)
	},
	"user password": runUserPassword,
	"user update":   runUserUpdate,
	"token list":    runTokenList,
	"backup":        runBackup,
	"restore":       runRestore,
}

// accountCommand returns the account or backup command args start with,
// and the arguments after its words.
func accountCommand(args []string) (func(ctx context.Context, args []string, stdout, stderr io.Writer) error, []string) {
	if len(args) >= 2 {
		if f, ok := accountCommands[args[0]+" "+args[1]]; ok {
			return f, args[2:]
		}
	}
	if len(args) >= 1 {
		if f, ok := accountCommands[args[0]]; ok {
			return f, args[1:]
		}
	}
	return nil, nil
}

// ownerCommand parses the flags of a user or token command (bind adds
// its own) and opens the owner's connection for it; needName requires
// --name, which it returns. done closes the connection.
func ownerCommand(ctx context.Context, cmd string, args []string, stderr io.Writer, needName bool, bind func(*flag.FlagSet)) (auth *postgres.AuthService, name string, done func(), err error) {
	var cfg config
	fs := flags(cmd, &cfg, stderr)
	var n string
	if needName {
		fs.StringVar(&n, "name", "", "user name")
	}
	if bind != nil {
		bind(fs)
	}
	if err := parse(fs, args); err != nil {
		return nil, "", nil, err
	}
	if needName && n == "" {
		return nil, "", nil, usagef("%s needs --name", cmd)
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return nil, "", nil, err
	}
	return postgres.NewAuthService(db), n, db.Close, nil
}

func runUserList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	auth, _, done, err := ownerCommand(ctx, "user list", args, stderr, false, nil)
	if err != nil {
		return err
	}
	defer done()
	users, err := auth.ListUsers(ctx, hub.UserFilter{})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tROLE\tDEPARTMENT\tREGION\tSERVICE\tDISABLED\tPASSWORD\tCREATED")
	for _, u := range users {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, orDash(u.Department), u.Region,
			yesNo(u.Service), yesNo(u.Disabled), yesNo(u.HasPassword), u.CreatedAt.Format(time.DateTime))
	}
	return w.Flush()
}

func runUserDisable(ctx context.Context, args []string, stdout, stderr io.Writer, disable bool) error {
	verb := map[bool]string{true: "disable", false: "enable"}[disable]
	auth, name, done, err := ownerCommand(ctx, "user "+verb, args, stderr, true, nil)
	if err != nil {
		return err
	}
	defer done()
	if err := auth.SetDisabled(ctx, name, disable); err != nil {
		return err
	}
	if disable {
		fmt.Fprintf(stdout, "已停用 %s：其令牌与会话立即失效 / disabled %s: its tokens and sessions stop working now\n", name, name)
	} else {
		fmt.Fprintf(stdout, "已启用 %s / enabled %s\n", name, name)
	}
	return nil
}

func runUserPassword(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	auth, name, done, err := ownerCommand(ctx, "user password", args, stderr, true, nil)
	if err != nil {
		return err
	}
	defer done()
	pw, err := readPassword(os.Stdin, stderr)
	if err != nil {
		return err
	}
	if err := auth.SetPassword(ctx, name, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已设置 %s 的密码 / password of %s set\n", name, name)
	return nil
}

// readPassword reads a password: from a prompt without echo, twice, when
// in is a terminal, else the first line of in. It is never printed.
func readPassword(in *os.File, prompt io.Writer) (string, error) {
	fd := int(in.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(prompt, "新密码 / new password: ")
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(prompt)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(prompt, "再输入一次 / again: ")
	again, err := term.ReadPassword(fd)
	fmt.Fprintln(prompt)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(first) != string(again) {
		return "", hub.Errorf(hub.EINVALID, "两次输入的密码不一致 / the passwords differ")
	}
	return string(first), nil
}

func runUserUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c postgres.UserChange
	auth, name, done, err := ownerCommand(ctx, "user update", args, stderr, true, func(fs *flag.FlagSet) {
		fs.Func("role", "new role: analyst, coordinator, leader, media or admin", func(v string) error {
			r, err := hub.ParseRole(v)
			c.Role = &r
			return err
		})
		fs.Func("department", "new department code (empty: none)", func(v string) error { c.Department = &v; return nil })
		fs.Func("region", "new region code", func(v string) error { c.Region = &v; return nil })
	})
	if err != nil {
		return err
	}
	defer done()
	u, err := auth.UpdateUser(ctx, name, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "updated user %s (%s, department %s, region %s)\n", u.Name, u.Role, orDash(u.Department), u.Region)
	return nil
}

func runTokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var user string
	auth, _, done, err := ownerCommand(ctx, "token list", args, stderr, false, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "only this user's tokens")
	})
	if err != nil {
		return err
	}
	defer done()
	tokens, err := auth.ListTokens(ctx, user)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tUSER\tNAME\tCREATED\tLAST USED\tEXPIRES\tREVOKED")
	for _, t := range tokens {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, orDash(t.Name), t.CreatedAt.Format(time.DateTime),
			when(t.LastUsedAt, "never"), when(t.ExpiresAt, "never"), when(t.RevokedAt, "-"))
	}
	return w.Flush()
}

// defaultTokenExpiry is the lifetime of a new token without --expires.
const defaultTokenExpiry = "365d"

// demoTokenLifetime is the lifetime of the tokens hub demo prints: the
// operator default, so that no token is without expiry.
const demoTokenLifetime = 365 * 24 * time.Hour

// tokenLifetime is the lifetime of a new token: --expires, else the
// operator's --token-expiry / HUB_TOKEN_EXPIRY; "never" means no expiry.
func tokenLifetime(expires, operatorDefault string) (time.Duration, error) {
	v := expires
	if v == "" {
		v = operatorDefault
	}
	if v == "never" {
		return 0, nil
	}
	if v == "" {
		return 0, usagef("--token-expiry / HUB_TOKEN_EXPIRY is empty: a lifetime such as 365d, or never")
	}
	return parseLifetime(v)
}

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flags("backup", &cfg, stderr)
	file := fs.String("file", "", "the backup file to write (pg_dump custom format)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("backup needs --file")
	}
	if err := postgres.Backup(ctx, cfg.DatabaseURL, *file); err != nil {
		return err
	}
	st, err := os.Stat(*file)
	if err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	fmt.Fprintf(stdout, "已备份 %s 到 %s（%d 字节）/ backed up %s to %s (%d bytes)\n",
		postgres.Redact(cfg.DatabaseURL), *file, st.Size(), postgres.Redact(cfg.DatabaseURL), *file, st.Size())
	return nil
}

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flags("restore", &cfg, stderr)
	file := fs.String("file", "", "a backup file made by hub backup")
	force := fs.Bool("force", false, "replace the objects of a database that has tables already")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("restore needs --file (and --database-url naming the database to restore into)")
	}
	if _, err := os.Stat(*file); err != nil {
		return hub.Errorf(hub.EINVALID, "备份文件不可读 / cannot read the backup file: %v", err)
	}
	if err := postgres.Restore(ctx, cfg.DatabaseURL, *file, *force); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已恢复 %s 到 %s；如有迁移未应用请运行 hub migrate / restored %s into %s; run hub migrate if this hub is newer\n",
		*file, postgres.Redact(cfg.DatabaseURL), *file, postgres.Redact(cfg.DatabaseURL))
	return nil
}

// demoPasswords gives every demo user without a password one and prints
// the logins; existing passwords are kept (and not shown, they are not
// stored) unless reset.
func demoPasswords(ctx context.Context, auth *postgres.AuthService, users []hub.NewUser, reset bool, stdout io.Writer) error {
	fmt.Fprintln(stdout, "\nlogins / 登录（/login；media 用户进入 /media，其余进入 /dashboard）:")
	kept := 0
	for _, u := range users {
		has, err := auth.HasPassword(ctx, u.Name)
		if err != nil {
			return err
		}
		if has && !reset {
			kept++
			continue
		}
		pw := randomPassword()
		if err := auth.SetPassword(ctx, u.Name, pw); err != nil {
			return fmt.Errorf("demo user %s: %w", u.Name, err)
		}
		fmt.Fprintf(stdout, "  %-26s %s\n", u.Name, pw)
	}
	if kept > 0 {
		fmt.Fprintf(stdout, "  已保留现有密码 / existing passwords kept (%d users; hub demo --reset-passwords makes new ones)\n", kept)
	}
	return nil
}

func orDash(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func when(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Format(time.DateTime)
}
