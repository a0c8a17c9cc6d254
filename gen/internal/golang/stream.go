package golang

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
)

func (e *emitter) stream(s *ir.Stream, ret retFunc) []jen.Code {
	st := &s.Base
	ahead := "no page read ahead"
	switch s.ReadAhead {
	case 0:
	case 1:
		ahead = "1 page read ahead"
	default:
		ahead = fmt.Sprintf("%d pages read ahead", s.ReadAhead)
	}
	out := []jen.Code{commentf("stream %q (%s): %s page by page, %s; one journal record per page", st.ID, e.where(st.Pos), s.Src.Node, ahead)}
	src := s.Src
	if e.nowVar(src) != "" {
		out = append(out, e.nowDecl(e.nowVar(src)))
	}

	opts := []jen.Code{field("Retry", retryCode(src.Retry))}
	if src.Timeout > 0 {
		opts = append(opts, field("Timeout", durationCode(src.Timeout)))
	}
	opts = append(opts, field("ReadAhead", jen.Lit(s.ReadAhead)))
	if src.RateLimit != "" {
		opts = append(opts, field("RateLimit", jen.Lit(src.RateLimit)))
	}

	outType := e.TypeCode(src.OutType)
	fetch := jen.Func().Params(jen.Id("ctx").Qual("context", "Context"), jen.Id(e.names.token[s]).String()).Params(outType, jen.Error()).Block(
		jen.Return(jen.Qual(src.PkgPath, src.FuncName).Call(jen.Id("ctx"), e.inputLiteral(src.InType, src.With, field("PageToken", jen.Id(e.names.token[s]))))),
	)

	next, fn := e.pageFuncs(s, "staged with the page's journal record", true)
	call := rt("Stream").Call(jen.Id("ctx"), jen.Id("r"), jen.Lit(s.Key), e.namedOptions("StreamOptions", opts, s.Key, e.where(st.Pos)),
		jen.Line().Add(fetch), jen.Line().Add(next), jen.Line().Add(fn))
	if !s.Out.Used {
		return append(out, e.discard(call), jen.If(jen.Err().Op("!=").Nil()).Block(ret(jen.Err())))
	}
	return append(out, e.assignChecked(s.Out, call, ret)...)
}

// pageFuncs are the stream's functions that both targets' runtimes call
// back per page: next, which reads the page's next token and item count,
// and fn, which runs the body and then the advance; advanceNote says, in
// the advance's comment, when it is staged. With rerun (the standalone
// runtime re-runs a page whole after a crash) now() in the body is read
// per page rather than journaled.
func (e *emitter) pageFuncs(s *ir.Stream, advanceNote string, rerun bool) (next, fn jen.Code) {
	page := e.varName(s.Page)
	var items jen.Code = jen.Lit(0)
	if s.Items {
		items = jen.Len(jen.Id(page).Dot("Items"))
	}
	next = jen.Func().Params(jen.Id(page).Add(e.TypeCode(s.Src.OutType))).Params(jen.String(), jen.Int()).Block(
		jen.Return(jen.Id(page).Dot("NextPageToken"), items),
	)

	e.pushFunc()
	if rerun {
		e.inPage++
	}
	body := e.block(s.Body, func(err jen.Code) jen.Code { return jen.Return(err) })
	if a := s.Advance; a != nil {
		if len(body) > 0 {
			body = append(body, jen.Line())
		}
		body = append(body, commentf("advance (%s): %s", posOf(s.Advance.Pos), advanceNote))
		if e.names.advNow[s] != "" {
			body = append(body, e.nowDecl(e.names.advNow[s]))
		}
		body = append(body, e.advanceCode(a))
	}
	body = append(body, jen.Return(jen.Nil()))
	if rerun {
		e.inPage--
	}
	e.pop()
	fn = e.target.stepFunc(jen.Id(page).Add(e.TypeCode(s.Src.OutType))).Error().Block(body...)
	return next, fn
}
