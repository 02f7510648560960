package hub

import (
	"strings"
	"unicode/utf8"
)

// MinPasswordLen is the fewest characters a password may have.
const MinPasswordLen = 10

// maxPasswordBytes is bcrypt's limit: it ignores anything beyond.
const maxPasswordBytes = 72

// CheckPassword decides whether password may be the password of user
// name: at least MinPasswordLen characters, at most 72 bytes, and not the
// user name (in any letter case). The refusal says which rule failed.
func CheckPassword(name, password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return Errorf(EINVALID, "密码至少需要 %d 个字符 / a password needs at least %d characters", MinPasswordLen, MinPasswordLen)
	}
	if len(password) > maxPasswordBytes {
		return Errorf(EINVALID, "密码最多 %d 个字节 / a password has at most %d bytes", maxPasswordBytes, maxPasswordBytes)
	}
	if strings.EqualFold(strings.TrimSpace(password), name) {
		return Errorf(EINVALID, "密码不能与用户名相同 / a password must not be the user name")
	}
	return nil
}
