// The Gorch language: schemas (type and kind declarations with refinements,
// defaults and constraints) and policies (gorch lint). Reference: docs/language.md.
//
// Generated to C++ at build time (lang/CMakeLists.txt); the generated code lives in
// the build tree only. The AST is built from the parse tree in lang/src/parser.cc.
//
// The expression sub-grammar (`expr`) is self-contained so that policy
// declarations (`policy "name" { ... }`) and standalone expressions (`exprOnly`,
// used by lang::ParseExpression) reuse it.
grammar Gorch;

// ---------------------------------------------------------------- declarations

file : decl* EOF ;

decl
  : typeDecl
  | kindDecl
  | deprecatedDecl
  | policyDecl
  ;

// type Name = KW_TYPE [where EXPR : "message"]...
typeDecl : KW_TYPE IDENT '=' typeExpr constraint* ;

// kind Name "group/version" [cluster] [passive] { FIELDS } [where ...]...
kindDecl : KW_KIND IDENT STRING kindModifier* recordType constraint* ;
kindModifier : KW_CLUSTER | KW_PASSIVE ;

// deprecated Name "old/version" -> "new/version"
deprecatedDecl : KW_DEPRECATED IDENT STRING '->' STRING ;

constraint : KW_WHERE expr ':' STRING ;

// ---------------------------------------------------------------- policies

// policy "check-name" { settings, lets and rules, in any order } (docs/policy.md).
//   severity: warning                        a setting: a name and a constant value
//   let image = c.image                      a name bound for the rules after it
//   for c in containers deny COND at EXPR : "message naming {c.name}"
// Settings and lets are separated by newlines or commas; a rule ends with its message.
policyDecl : KW_POLICY STRING '{' (policyMember ','?)* '}' ;
policyMember
  : fieldName ':' expr                                         # policySetting
  | KW_LET ident '=' expr                                      # policyLet
  | policyLoop* KW_DENY cond=expr (KW_AT at=expr)? ':' STRING  # policyRule
  ;
policyLoop : KW_FOR ident KW_IN expr ;

// ---------------------------------------------------------------- types

// Alternatives: all string literals make an enum; anything else a union.
typeExpr : typeTerm ('|' typeTerm)* ;

typeTerm
  : recordType                                                 # recordTerm
  | STRING                                                     # enumTerm
  | IDENT typeArgs? refinement? (KW_KEYED fieldName)?             # namedTerm
  | '(' typeExpr ')'                                           # parenTerm
  ;

typeArgs : '<' typeExpr (',' typeExpr)* '>' ;

refinement : '(' refineArg (',' refineArg)* ','? ')' ;
refineArg
  : lo=rangeBound? '..' hi=rangeBound?                         # rangeArg
  | ident ':' expr                                             # namedArg
  ;
rangeBound : '-'? INT ;

// Members are separated by commas or newlines; `...` (open record) comes last.
recordType : '{' (member (','? member)* ','?)? '}' ;
member
  : field
  | ELLIPSIS
  ;
field : fieldName optional='?'? ':' typeExpr ('=' dflt=expr (KW_WHEN cond=expr)?)? ;

// ---------------------------------------------------------------- expressions

exprOnly : expr EOF ;

expr
  : primary                                                    # primaryExpr
  | expr '.' fieldName '(' exprList? ')'                       # methodExpr
  | expr '.' fieldName                                         # fieldExpr
  | expr '[' expr ']'                                          # indexExpr
  | op=('!' | '-') expr                                        # unaryExpr
  | expr op=('*' | '/' | '%') expr                             # binaryExpr
  | expr op=('+' | '-') expr                                   # binaryExpr
  | expr op=('<' | '<=' | '>' | '>=' | KW_IN) expr                # binaryExpr
  | expr op=('==' | '!=') expr                                 # binaryExpr
  | expr op='&&' expr                                          # binaryExpr
  | expr op='||' expr                                          # binaryExpr
  | <assoc=right> expr '?' expr ':' expr                       # condExpr
  ;

primary
  : literal                                                    # literalPrimary
  | KW_SELF                                                       # selfPrimary
  | ident '(' var=ident KW_IN expr ':' expr ')'                   # quantifierPrimary
  | ident '(' exprList? ')'                                    # callPrimary
  | ident                                                      # identPrimary
  | '(' expr ')'                                               # parenPrimary
  | '[' (expr (',' expr)* ','?)? ']'                           # listPrimary
  | '{' (mapEntry (',' mapEntry)* ','?)? '}'                   # mapPrimary
  ;

exprList : expr (',' expr)* ;
mapEntry : fieldName ':' expr ;

literal : INT | FLOAT | STRING | KW_TRUE | KW_FALSE | KW_NULL ;

// Names usable as identifiers in expressions: keywords that cannot start or
// end an expression are allowed, so fields named `type` or `kind` work.
ident : IDENT | KW_TYPE | KW_KIND | KW_DEPRECATED | KW_CLUSTER | KW_PASSIVE | KW_KEYED | KW_POLICY
      | KW_LET | KW_FOR | KW_DENY | KW_AT ;

// Field names (declarations, `.name`, map keys): any identifier or keyword, or a
// quoted string for keys that are not identifiers.
fieldName : ident | STRING | KW_WHERE | KW_WHEN | KW_IN | KW_SELF | KW_TRUE | KW_FALSE | KW_NULL ;

// ---------------------------------------------------------------- lexer

KW_TYPE : 'type' ;
KW_KIND : 'kind' ;
KW_DEPRECATED : 'deprecated' ;
KW_CLUSTER : 'cluster' ;
KW_PASSIVE : 'passive' ;
KW_KEYED : 'keyed' ;
KW_WHERE : 'where' ;
KW_WHEN : 'when' ;
KW_IN : 'in' ;
KW_SELF : 'self' ;
KW_TRUE : 'true' ;
KW_FALSE : 'false' ;
KW_NULL : 'null' ;
KW_POLICY : 'policy' ;
// Policy words; like `type` and `kind` they stay usable as names (see `ident`).
KW_LET : 'let' ;
KW_FOR : 'for' ;
KW_DENY : 'deny' ;
KW_AT : 'at' ;

ELLIPSIS : '...' ;
DOTDOT : '..' ;

IDENT : [A-Za-z_] [A-Za-z0-9_]* ;
FLOAT : DIGITS '.' DIGITS EXPONENT? | DIGITS EXPONENT ;
INT : DIGITS ;
fragment DIGITS : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;

// Escapes are validated (and decoded) by the AST builder, which can then point
// at the bad escape itself.
STRING : '"' ( '\\' ~[\r\n] | ~["\\\r\n] )* '"' ;
UNTERMINATED_STRING : '"' ( '\\' ~[\r\n] | ~["\\\r\n] )* ;

DOC_COMMENT : '///' ~[\r\n]* -> channel(HIDDEN) ;
LINE_COMMENT : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' ( ~'*' | '*'+ ~[*/] )* '*'+ '/' -> skip ;
UNTERMINATED_COMMENT : '/*' ( ~'*' | '*'+ ~[*/] )* '*'* EOF ;
WS : [ \t\r\n\f]+ -> skip ;

// Anything else: one bad character, reported by the parser with its position.
BAD_CHAR : . ;
