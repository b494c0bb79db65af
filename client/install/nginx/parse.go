package nginx

import (
	"fmt"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
)

// Word is one token of a directive: its name or one argument.
type Word struct {
	Pre string // whitespace and comments before the word
	Raw string // the word as written, quotes and escapes kept
}

// Value is the word as nginx reads it: quotes removed and \" \' \\ \t \r
// \n unescaped.
func (w Word) Value() string {
	s := w.Raw
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	}
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '"', '\'', '\\':
				i++
			case 't':
				b.WriteByte('\t')
				i++
				continue
			case 'r':
				b.WriteByte('\r')
				i++
				continue
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Directive is a simple directive (Block nil, ended by ';') or a block
// directive (ended by its Block's '}').
type Directive struct {
	Words  []Word // Words[0] is the name
	PreEnd string // whitespace and comments before ';' or '{'
	Block  *Block
	// Post is text mason adds after the ';' or '}' of a directive it
	// inserts (its "# managed by mason" marker); Parse never sets it.
	Post string
}

// Name is the directive's name.
func (d *Directive) Name() string { return d.Words[0].Value() }

// Args are the directive's arguments as nginx reads them.
func (d *Directive) Args() []string {
	out := make([]string, 0, len(d.Words)-1)
	for _, w := range d.Words[1:] {
		out = append(out, w.Value())
	}
	return out
}

// Block is the inside of a block directive, or a whole file.
type Block struct {
	Directives []*Directive
	// PreClose is the whitespace and comments before the closing '}', or
	// before the end of a file.
	PreClose string
}

// File is one parsed configuration file.
type File struct {
	Block
}

// Parse reads src as nginx would tokenize it. Anything nginx refuses at
// the token level (an unbalanced brace, an unterminated directive or
// quoted string) is an error of kind core.ErrMalformed; directives are not
// checked against nginx's list, so any module's directives parse.
func Parse(src []byte) (*File, error) {
	p := &parser{src: string(src), line: 1}
	b, err := p.block(false)
	if err != nil {
		return nil, err
	}
	return &File{Block: *b}, nil
}

// Bytes serializes f; for a file Parse returned unchanged it is the input.
func (f *File) Bytes() []byte {
	var sb strings.Builder
	f.Block.write(&sb)
	return []byte(sb.String())
}

func (b *Block) write(sb *strings.Builder) {
	for _, d := range b.Directives {
		d.write(sb)
	}
	sb.WriteString(b.PreClose)
}

func (d *Directive) write(sb *strings.Builder) {
	for _, w := range d.Words {
		sb.WriteString(w.Pre)
		sb.WriteString(w.Raw)
	}
	sb.WriteString(d.PreEnd)
	if d.Block == nil {
		sb.WriteByte(';')
	} else {
		sb.WriteByte('{')
		d.Block.write(sb)
		sb.WriteByte('}')
	}
	sb.WriteString(d.Post)
}

// String is the directive as it would be written, for messages.
func (d *Directive) String() string {
	parts := make([]string, len(d.Words))
	for i, w := range d.Words {
		parts[i] = w.Raw
	}
	return strings.Join(parts, " ")
}

type parser struct {
	src  string
	pos  int
	line int
}

func (p *parser) errorf(format string, a ...any) error {
	return core.Errorf(core.ErrMalformed, "line %d: %s", p.line, fmt.Sprintf(format, a...))
}

// gap consumes whitespace and '#' comments, which run to the end of a line.
func (p *parser) gap() string {
	start := p.pos
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; c {
		case ' ', '\t', '\r', '\n':
			if c == '\n' {
				p.line++
			}
			p.pos++
		case '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return p.src[start:p.pos]
		}
	}
	return p.src[start:p.pos]
}

// block reads directives until '}' (nested) or the end of input (top level).
func (p *parser) block(nested bool) (*Block, error) {
	b := &Block{}
	for {
		pre := p.gap()
		if p.pos >= len(p.src) {
			if nested {
				return nil, p.errorf("unexpected end of file, expecting \"}\"")
			}
			b.PreClose = pre
			return b, nil
		}
		switch p.src[p.pos] {
		case '}':
			if !nested {
				return nil, p.errorf("unexpected \"}\"")
			}
			p.pos++
			b.PreClose = pre
			return b, nil
		case ';', '{':
			return nil, p.errorf("unexpected %q", p.src[p.pos])
		}
		d, err := p.directive(pre)
		if err != nil {
			return nil, err
		}
		b.Directives = append(b.Directives, d)
	}
}

// directive reads words up to ';' or a '{…}' block; pre is the gap
// before its name, already consumed.
func (p *parser) directive(pre string) (*Directive, error) {
	d := &Directive{}
	for {
		if p.pos >= len(p.src) {
			return nil, p.errorf("unexpected end of file, expecting \";\" or \"}\"")
		}
		switch p.src[p.pos] {
		case ';':
			p.pos++
			d.PreEnd = pre
			return d, nil
		case '{':
			p.pos++
			d.PreEnd = pre
			b, err := p.block(true)
			if err != nil {
				return nil, err
			}
			d.Block = b
			return d, nil
		case '}':
			return nil, p.errorf("unexpected \"}\"")
		}
		raw, err := p.word()
		if err != nil {
			return nil, err
		}
		d.Words = append(d.Words, Word{Pre: pre, Raw: raw})
		pre = p.gap()
	}
}

// word reads one token: a quoted string, or a run of characters up to
// whitespace, ';' or '{' (a '{' right after '$' belongs to the word, as
// in ${var}). A backslash escapes the next character in both.
func (p *parser) word() (string, error) {
	start := p.pos
	if q := p.src[p.pos]; q == '"' || q == '\'' {
		p.pos++
		for {
			if p.pos >= len(p.src) {
				return "", p.errorf("unexpected end of file in a quoted string")
			}
			c := p.src[p.pos]
			p.pos++
			if c == '\n' {
				p.line++
			}
			if c == '\\' && p.pos < len(p.src) {
				if p.src[p.pos] == '\n' {
					p.line++
				}
				p.pos++
				continue
			}
			if c == q {
				break
			}
		}
		if p.pos < len(p.src) {
			switch p.src[p.pos] {
			case ' ', '\t', '\r', '\n', ';', '{', ')':
			default:
				return "", p.errorf("unexpected %q after a quoted string", p.src[p.pos])
			}
		}
		return p.src[start:p.pos], nil
	}
	variable := false
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '{' && variable:
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '{':
			return p.src[start:p.pos], nil
		case c == '\\':
			// The escaped character, whatever it is, stays in the word.
			p.pos++
			if p.pos < len(p.src) {
				if p.src[p.pos] == '\n' {
					p.line++
				}
				p.pos++
			}
			variable = false
			continue
		}
		variable = c == '$'
		p.pos++
	}
	return p.src[start:p.pos], nil
}
